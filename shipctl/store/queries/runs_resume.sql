-- A rerun (or another worker) takes run $1 up again: running, not finished. A worker that
-- buys ($2) marks the run as one that bought ("buys": true), for good: only a run every worker
-- of which was a dry run says "buys": false.
UPDATE runs
SET status = 'running', finished_at = NULL,
    options = options || jsonb_build_object(
        'buys', $2::boolean OR coalesce((options ->> 'buys')::boolean, true))
WHERE id = $1
