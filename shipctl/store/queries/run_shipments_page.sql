-- One page of a run's orders in input order, for streaming exports (keyset on position, id).
SELECT * FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND (position, id) > ($2, $3)
ORDER BY position, id
LIMIT $4
