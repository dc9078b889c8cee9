-- Seconds until no buy that another process may have sent for an order of mode $1 and store
-- $2 can still land, a buy landing within $3 seconds of being sent (0: none can).
-- Only a process that committed the order `created` buys its shipment, and it holds the
-- order's claim until the buy is answered: a `bulk` worker (a row of run_workers; not one of
-- a run that never bought, whose options say "buys": false: all its workers were dry runs)
-- or a `shipctl create` run. One still at work, or a create run that died without finishing,
-- may have sent a buy a moment ago; one that finished sent its buys before it did (a bulk
-- worker that died is marked finished when first seen dead: run_workers_reap.sql). $4 and
-- $5, this process's own worker and create run, are left out.
SELECT coalesce(greatest(0, extract(epoch FROM max(active) - now()) + $3), 0)::float8
FROM (
    SELECT coalesce(w.finished_at, now()) AS active
    FROM run_workers w
    JOIN runs r ON r.id = w.run_id
    WHERE r.mode = $1 AND r.store = $2 AND w.id IS DISTINCT FROM $4::bigint
      AND (r.options ->> 'buys')::boolean IS NOT FALSE
    UNION ALL
    SELECT coalesce(r.finished_at, now())
    FROM runs r
    WHERE r.kind = 'create' AND r.mode = $1 AND r.store = $2 AND r.id IS DISTINCT FROM $5::bigint
) AS buyers
