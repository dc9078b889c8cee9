-- Labels shipping on a day: current, bought and not refunded, of mode $1, shipping on $2 (the
-- label date, else the UTC day the label was bought), of carrier $3 (NULL: any). With $4
-- (a scan form's candidates) only labels on no form, asked onto none, and not left off the
-- forms for good (scan_form_exclusions). Oldest first.
SELECT s.id, s.reference, s.easypost_shipment_id, s.tracking_code, s.carrier,
       s.carrier_account_id,
       s.from_name, s.from_company, s.from_street1, s.from_street2, s.from_city, s.from_state,
       s.from_zip, s.from_country, s.from_phone
FROM shipments s
WHERE s.superseded_at IS NULL
  AND s.mode = $1
  AND s.state = 'purchased'
  AND s.tracking_code IS NOT NULL
  AND s.easypost_shipment_id IS NOT NULL
  AND coalesce(s.label_date, (s.purchased_at AT TIME ZONE 'UTC')::date) = $2
  AND ($3::text IS NULL OR upper(s.carrier) = upper($3))
  AND (NOT $4 OR (NOT EXISTS (SELECT 1 FROM scan_form_labels l WHERE l.shipment_id = s.id)
                  AND NOT EXISTS (SELECT 1 FROM scan_form_exclusions x
                                  WHERE x.shipment_id = s.id)))
ORDER BY s.id
