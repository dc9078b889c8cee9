-- day / week / month: labels bought in [$1, $2) and their spend per UTC calendar period;
-- $5 is the date_trunc unit (weeks start on Monday). Periods without labels are left out.
-- From the day rollups of migration 0004.
SELECT date_trunc($5::text, f.day)::date AS period,
       sum(f.labels)::bigint AS labels,
       sum(f.spend) AS spend
FROM analytics_service_facts($1, $2) f
WHERE ($3::text IS NULL OR lower(f.carrier) = lower($3::text))
  AND ($4::text IS NULL OR f.mode = $4::text)
GROUP BY 1
ORDER BY 1
