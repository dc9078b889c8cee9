-- demo seed: a refund row for every refunded demo label of run $1, the whole price back.
INSERT INTO refunds (shipment_id, easypost_shipment_id, status, amount, requested_at, updated_at)
SELECT id, easypost_shipment_id, 'refunded', rate, updated_at, updated_at
FROM shipments
WHERE run_id = $1 AND state = 'refunded'
