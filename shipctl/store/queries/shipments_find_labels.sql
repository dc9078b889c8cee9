-- The shipments of one mode ($2) whose reference (in store $4), tracking code or EasyPost
-- shipment id is $1 ($3: 'reference', 'tracking-code', 'shipment-id', or NULL for any of
-- them), with the status of their refund if one was asked for. Oldest first. A reference
-- names its current shipment only; a tracking code or shipment id also names a label a
-- `--rebuy` replaced (still valid and paid for until it is refunded).
SELECT s.*, r.status AS refund_status
FROM shipments s
LEFT JOIN refunds r ON r.shipment_id = s.id
WHERE s.mode = $2
  AND (   (s.reference = $1 AND s.store = $4 AND s.superseded_at IS NULL
           AND coalesce($3, 'reference') = 'reference')
       OR (s.tracking_code = $1 AND coalesce($3, 'tracking-code') = 'tracking-code')
       OR (s.easypost_shipment_id = $1 AND coalesce($3, 'shipment-id') = 'shipment-id'))
ORDER BY s.id
