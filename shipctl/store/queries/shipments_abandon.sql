-- The order's shipment ($2) is known not to be bought and was made for other data: keep its
-- id as history and send the order back to be quoted again.
UPDATE shipments
SET state = 'pending', abandoned_shipment_ids = abandoned_shipment_ids || easypost_shipment_id,
    easypost_shipment_id = NULL, shipment_digest = NULL, rate_id = NULL, carrier = NULL,
    service = NULL, rate = NULL, currency = NULL, delivery_days = NULL,
    est_delivery_date = NULL, updated_at = now()
WHERE id = $1 AND easypost_shipment_id = $2 AND state IN ('pending', 'created', 'unknown', 'failed')
