-- A definite refusal. The shipment id, if any, stays: a later run retrieves it first.
UPDATE shipments
SET state = 'failed', error_code = $2, error_message = $3, updated_at = now()
WHERE id = $1 AND state IN ('pending', 'created', 'unknown')
