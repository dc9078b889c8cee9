-- Labels of mode $1 (ship date $2; NULL: every day) that EasyPost refused onto a form, left
-- off the forms for good, with the reason.
SELECT s.reference, x.tracking_code, x.reason, x.error_code, x.message, x.on_scan_form,
       x.excluded_at,
       coalesce(s.label_date, (s.purchased_at AT TIME ZONE 'UTC')::date) AS ship_date
FROM scan_form_exclusions x
JOIN shipments s ON s.id = x.shipment_id
WHERE s.mode = $1
  AND ($2::date IS NULL OR coalesce(s.label_date, (s.purchased_at AT TIME ZONE 'UTC')::date) = $2)
ORDER BY ship_date, s.reference
