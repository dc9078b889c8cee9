-- manifested: bought, unrefunded labels of [$1, $2) by their UTC ship day (the label date,
-- else the day bought), and the share of them put on a scan form (shipctl's, or one made
-- elsewhere that EasyPost named when it refused the label onto shipctl's). Carrier $3 and mode $4
-- narrow it as in the other sections. Read from the shipments (migration 0006 has no rollup).
SELECT coalesce(s.label_date, (s.purchased_at AT TIME ZONE 'UTC')::date) AS period,
       count(*)::bigint AS labels,
       count(*) FILTER (WHERE f.id IS NOT NULL OR x.on_scan_form IS NOT NULL)::bigint
           AS manifested,
       count(*) FILTER (WHERE f.id IS NOT NULL OR x.on_scan_form IS NOT NULL)::float8
           / count(*) AS manifested_share
FROM shipments s
LEFT JOIN scan_form_labels l ON l.shipment_id = s.id
LEFT JOIN scan_forms f ON f.id = l.scan_form_id AND f.state = 'created'
LEFT JOIN scan_form_exclusions x ON x.shipment_id = s.id
WHERE s.purchased_at >= $1 AND s.purchased_at < $2
  AND s.state = 'purchased'
  AND ($3::text IS NULL OR lower(s.carrier) = lower($3::text))
  AND ($4::text IS NULL OR s.mode = $4::text)
GROUP BY 1
ORDER BY 1
