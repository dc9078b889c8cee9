INSERT INTO run_workers (run_id, host, pid, joined)
VALUES ($1, $2, $3, $4)
RETURNING id
