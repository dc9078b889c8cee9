-- The unfinished orders of run $1, in input order: their destinations get verified (an
-- order with a shipment too, so an accepted correction is applied again on a rerun).
SELECT * FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND state IN ('pending', 'created', 'unknown')
ORDER BY position
