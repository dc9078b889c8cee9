-- One page of the unfinished orders of run $1 in input order (keyset on position > $2,
-- $3 at most): their destinations get verified (an order with a shipment too, so an
-- accepted correction is applied again on a rerun).
SELECT * FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND state IN ('pending', 'created', 'unknown')
  AND position > $2
ORDER BY position
LIMIT $3
