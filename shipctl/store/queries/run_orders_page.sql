-- One page of the orders of run $1's file in input order (keyset on position > $2), each
-- with the row this run worked on, else the reference's current row in the run's mode and
-- store: orders bought by another run are part of the file too.
SELECT s.*, ro.position AS file_position
FROM run_orders ro
JOIN runs r ON r.id = ro.run_id
CROSS JOIN LATERAL (
    SELECT * FROM shipments s
    WHERE s.mode = r.mode AND s.store = r.store AND s.reference = ro.reference
      AND (s.superseded_at IS NULL OR s.run_id = ro.run_id)
    ORDER BY (s.run_id = ro.run_id) DESC, (s.superseded_at IS NULL) DESC, s.id DESC
    LIMIT 1
) s
WHERE ro.run_id = $1 AND ro.position > $2
ORDER BY ro.position
LIMIT $3
