-- The order's EasyPost shipment and chosen rate (carrier account $11), committed before any
-- buy; $10 is the digest of the order data the shipment was made for.
UPDATE shipments
SET state = 'created', easypost_shipment_id = $2, rate_id = $3, carrier = $4, service = $5,
    rate = $6, currency = $7, delivery_days = $8, est_delivery_date = $9,
    shipment_digest = $10, carrier_account_id = $11, error_code = NULL, error_message = NULL,
    attempts = attempts + 1, updated_at = now()
WHERE id = $1 AND state IN ('pending', 'created', 'unknown', 'failed')
