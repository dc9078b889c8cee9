-- demo seed: run $1's totals, as a finished bulk run would have them.
UPDATE runs
SET status = 'completed',
    orders_total = counts.total,
    purchased = counts.purchased,
    failed = counts.failed,
    finished_at = now()
FROM (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE state IN ('purchased', 'refunded')) AS purchased,
           count(*) FILTER (WHERE state = 'failed') AS failed
    FROM shipments
    WHERE run_id = $1
) AS counts
WHERE runs.id = $1
