-- Labels of one mode whose refund EasyPost has not answered yet (`submitted`), or whose
-- request's answer was lost (`requested`), oldest request first.
SELECT s.*, r.status AS refund_status
FROM refunds r
JOIN shipments s ON s.id = r.shipment_id
WHERE r.status IN ('submitted', 'requested') AND s.mode = $1
ORDER BY r.requested_at, r.id
