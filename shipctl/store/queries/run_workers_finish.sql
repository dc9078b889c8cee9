UPDATE run_workers SET finished_at = now(), bought = $2 WHERE id = $1
