-- A buy was sent and its outcome is not known: keep the shipment id, never mark it failed.
UPDATE shipments
SET state = 'unknown', error_code = $2, error_message = $3, updated_at = now()
WHERE id = $1 AND state IN ('pending', 'created', 'unknown')
