-- The forms of mode $1 (ship date $2; NULL: every day), with the labels on each, how many
-- of those were refunded after they were put on it, and how many EasyPost refused onto it.
SELECT f.id, f.ship_date, f.carrier, f.carrier_account_id, f.origin, f.state,
       f.easypost_scan_form_id, f.form_url, f.requested_at, f.error_message,
       count(l.shipment_id) AS labels,
       count(l.shipment_id) FILTER (WHERE s.state = 'refunded') AS refunded,
       (SELECT count(*) FROM scan_form_exclusions x WHERE x.scan_form_id = f.id) AS excluded
FROM scan_forms f
LEFT JOIN scan_form_labels l ON l.scan_form_id = f.id
LEFT JOIN shipments s ON s.id = l.shipment_id
WHERE f.mode = $1 AND ($2::date IS NULL OR f.ship_date = $2)
GROUP BY f.id
ORDER BY f.id
