-- html: the labels bought in [$1, $2) per period ($5: the date_trunc unit), carrier, service,
-- transit days and on-time flag, for the charts of `--format html` (spend and labels per
-- carrier over time, average cost per service, the transit-time histogram, the weekly on-time
-- share). $3 carrier and $4 report mode as the other sections (NULL = all). From the day
-- rollups of migration 0004, so every total equals the sections' totals.
SELECT date_trunc($5::text, f.day)::date AS period,
       f.carrier,
       f.service,
       f.transit_days,
       f.on_time,
       sum(f.labels)::bigint AS labels,
       coalesce(sum(f.spend), 0) AS spend
FROM analytics_service_facts($1, $2) f
WHERE ($3::text IS NULL OR lower(f.carrier) = lower($3::text))
  AND ($4::text IS NULL OR f.mode = $4::text)
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
