WITH refund AS (
    INSERT INTO refunds (shipment_id, easypost_shipment_id, status, amount)
    SELECT id, $2, $3, rate FROM shipments WHERE id = $1
    ON CONFLICT (shipment_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()
    RETURNING shipment_id
)
UPDATE shipments SET state = 'refunded', updated_at = now()
WHERE id IN (SELECT shipment_id FROM refund) AND $3 IN ('submitted', 'refunded')
