-- Labels of one mode whose refund EasyPost has not answered yet, oldest request first.
SELECT s.*, r.status AS refund_status
FROM refunds r
JOIN shipments s ON s.id = r.shipment_id
WHERE r.status = 'submitted' AND s.mode = $1
ORDER BY r.requested_at, r.id
