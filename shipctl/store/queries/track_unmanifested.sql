-- Labels of mode $1 bought before $2 that are on no scan form and have had no carrier scan
-- (tracking still unknown or pre_transit): parcels nobody handed to the carrier. Oldest first.
-- A label EasyPost found on a form made outside shipctl (scan_form_exclusions.on_scan_form)
-- is on a form.
SELECT s.reference, s.tracking_code, s.carrier, s.purchased_at,
       coalesce(s.label_date, (s.purchased_at AT TIME ZONE 'UTC')::date) AS ship_date
FROM shipments s
WHERE s.superseded_at IS NULL
  AND s.mode = $1
  AND s.state = 'purchased'
  AND s.tracking_code IS NOT NULL
  AND s.purchased_at < $2
  AND coalesce(s.tracking_status, 'unknown') IN ('unknown', 'pre_transit')
  AND NOT EXISTS (SELECT 1 FROM scan_form_labels l
                  JOIN scan_forms f ON f.id = l.scan_form_id AND f.state = 'created'
                  WHERE l.shipment_id = s.id)
  AND NOT EXISTS (SELECT 1 FROM scan_form_exclusions x
                  WHERE x.shipment_id = s.id AND x.on_scan_form IS NOT NULL)
ORDER BY s.purchased_at, s.id
LIMIT $3
