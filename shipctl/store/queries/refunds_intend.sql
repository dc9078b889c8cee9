-- Before asking EasyPost to refund the label of shipment $1: note the request as `requested`,
-- so an answer lost on the way back leaves a trace that `refund --status` and the tracking
-- sweep resolve. Returns the refund's status before (NULL when none was asked for), which a
-- definite refusal puts back (refunds_withdraw). A submitted or done refund is left alone.
WITH before AS (
    SELECT status FROM refunds WHERE shipment_id = $1
), noted AS (
    INSERT INTO refunds (shipment_id, easypost_shipment_id, status, amount)
    SELECT id, easypost_shipment_id, 'requested', rate FROM shipments WHERE id = $1
    ON CONFLICT (shipment_id) DO UPDATE
    SET status = 'requested', updated_at = now(), requested_at = now()
    WHERE refunds.status IN ('rejected', 'requested')
)
SELECT (SELECT status FROM before) AS before
