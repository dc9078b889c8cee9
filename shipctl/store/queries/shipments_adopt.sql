-- An order left `created` by an earlier run keeps its shipment (it is resolved by retrieving
-- it) but now belongs to this run.
UPDATE shipments
SET run_id = $2, position = $3, updated_at = now()
WHERE reference = $1 AND superseded_at IS NULL AND state = 'created'
