-- An `unknown` order's shipment was retrieved and has no label: the buy did not go through.
-- It is `created` again (its shipment exists, unbought), which its file's rerun buys.
UPDATE shipments
SET state = 'created', error_code = NULL, error_message = NULL, updated_at = now()
WHERE id = $1 AND state = 'unknown'
