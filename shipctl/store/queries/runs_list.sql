SELECT id, kind, mode, input_path, status, orders_total, purchased, failed, skipped,
       already_purchased, started_at, finished_at
FROM runs
ORDER BY id DESC
LIMIT $1
