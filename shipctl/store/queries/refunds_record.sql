-- Record EasyPost's refund status for shipment $1 (EasyPost id $2, status $3). A submitted or
-- refunded label is `refunded`; a rejected or not_applicable one is `purchased` again: its
-- label is still valid and paid for.
WITH refund AS (
    INSERT INTO refunds (shipment_id, easypost_shipment_id, status, amount)
    SELECT id, $2, $3, rate FROM shipments WHERE id = $1
    ON CONFLICT (shipment_id) DO UPDATE
    SET status = EXCLUDED.status, updated_at = now(),
        -- asked again after a rejection: a new request
        requested_at = CASE WHEN EXCLUDED.status = 'submitted' AND refunds.status <> 'submitted'
                            THEN now() ELSE refunds.requested_at END
    RETURNING shipment_id
)
UPDATE shipments
SET state = CASE WHEN $3 IN ('submitted', 'refunded') THEN 'refunded' ELSE 'purchased' END,
    updated_at = now()
WHERE id IN (SELECT shipment_id FROM refund) AND state IN ('purchased', 'refunded')
