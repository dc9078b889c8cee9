INSERT INTO run_workers (run_id, host, pid, joined, backend_pid)
VALUES ($1, $2, $3, $4, pg_backend_pid())
RETURNING id
