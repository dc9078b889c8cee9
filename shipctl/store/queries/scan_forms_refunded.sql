-- Labels refunded after they were put on a form of mode $1 (ship date $2; NULL: every day).
SELECT s.reference, s.tracking_code, f.easypost_scan_form_id, f.ship_date
FROM scan_form_labels l
JOIN scan_forms f ON f.id = l.scan_form_id
JOIN shipments s ON s.id = l.shipment_id
WHERE f.mode = $1 AND f.state = 'created' AND s.state = 'refunded'
  AND ($2::date IS NULL OR f.ship_date = $2)
ORDER BY f.ship_date, s.reference
