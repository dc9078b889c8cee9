-- Counts come from the run's shipments, so they are right even after a crash and resume.
UPDATE runs r
SET status = $2,
    finished_at = now(),
    orders_total = s.total,
    purchased = s.purchased,
    failed = s.failed,
    unknown = s.unknown
FROM (
    SELECT count(*)                                        AS total,
           count(*) FILTER (WHERE state = 'purchased')     AS purchased,
           count(*) FILTER (WHERE state = 'failed')        AS failed,
           count(*) FILTER (WHERE state = 'unknown')       AS unknown
    FROM shipments
    WHERE run_id = $1 AND superseded_at IS NULL
) s
WHERE r.id = $1
