-- Forms of mode $1 asked for whose answer was never recorded, with their tracking codes.
SELECT f.id, f.ship_date, f.carrier, f.carrier_account_id, f.origin, f.requested_at,
       coalesce(array_agg(l.tracking_code ORDER BY l.tracking_code)
                FILTER (WHERE l.tracking_code IS NOT NULL), '{}') AS tracking_codes
FROM scan_forms f
LEFT JOIN scan_form_labels l ON l.scan_form_id = f.id
WHERE f.mode = $1 AND f.state = 'requested'
GROUP BY f.id
ORDER BY f.id
