-- day / week / month: labels bought in [$1, $2) and their spend per UTC calendar period;
-- $5 is the date_trunc unit (weeks start on Monday). Periods without labels are left out.
SELECT date_trunc($5::text, s.purchased_at AT TIME ZONE 'UTC')::date AS period,
       count(*) AS labels,
       sum(s.rate) AS spend
FROM shipments s
WHERE s.purchased_at >= $1 AND s.purchased_at < $2
  AND s.state IN ('purchased', 'refunded')
  AND ($3::text IS NULL OR lower(s.carrier) = lower($3::text))
  AND ($4::text IS NULL OR s.mode = $4::text)
GROUP BY 1
ORDER BY 1
