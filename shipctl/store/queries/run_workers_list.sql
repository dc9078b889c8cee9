SELECT id, host, pid, joined, started_at, finished_at, bought, died
FROM run_workers
WHERE run_id = $1
ORDER BY id
