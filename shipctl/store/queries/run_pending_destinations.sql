-- The orders of run $1 not yet quoted, in input order: their destinations get verified.
SELECT * FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND state = 'pending'
ORDER BY position
