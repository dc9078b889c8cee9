-- A bought label (from the buy's answer, or from retrieving a shipment that was bought); $13
-- is the bought rate's carrier account.
UPDATE shipments
SET state = 'purchased', easypost_shipment_id = $2, tracking_code = $3, carrier = $4,
    service = $5, rate = $6, currency = $7, delivery_days = $8,
    est_delivery_date = coalesce($9, est_delivery_date), label_url = $10, tracker_id = $11,
    label_file_format = $12, carrier_account_id = coalesce($13, carrier_account_id),
    purchased_at = coalesce(purchased_at, now()), error_code = NULL, error_message = NULL,
    updated_at = now()
WHERE id = $1
