-- The latest $1 runs of kind $2 (NULL: every kind), newest first, with whether each was a dry
-- run and what its labels cost (the labels it bought that are still purchased).
SELECT r.id, r.kind, r.mode, r.input_path, r.status, r.orders_total, r.purchased, r.failed,
       r.skipped, r.already_purchased, r.started_at, r.finished_at,
       COALESCE((r.options ->> 'dry_run')::boolean, false)              AS dry_run,
       (SELECT COALESCE(sum(s.rate), 0) FROM shipments s
        WHERE s.run_id = r.id AND s.state = 'purchased')                AS spend
FROM runs r
WHERE $2::text IS NULL OR r.kind = $2::text
ORDER BY r.id DESC
LIMIT $1
