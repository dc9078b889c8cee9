-- carrier and service: labels bought in [$1, $2) per carrier (or, with $5, per carrier and
-- service; else the service column is NULL), with transit days from purchase to delivery
-- (whole UTC calendar days) and the on-time share against the first promise (the shipment's
-- estimate when bought, else the tracker's first estimate), compared as UTC calendar days.
-- Reads the day rollups of migration 0004 (analytics_service_facts); median and p90 come from
-- the transit-day histogram, exactly as percentile_cont over the labels would give them.
SELECT f.carrier,
       CASE WHEN $5::boolean THEN f.service END AS service,
       sum(f.labels)::bigint AS labels,
       sum(f.spend) AS spend,
       sum(f.spend) / sum(f.labels) AS average_cost,
       coalesce(sum(f.labels) FILTER (WHERE f.transit_days IS NOT NULL), 0)::bigint AS delivered,
       sum(f.transit_days * f.labels)::float8
           / sum(f.labels) FILTER (WHERE f.transit_days IS NOT NULL) AS transit_days_mean,
       transit_percentile(array_agg(f.transit_days), array_agg(f.labels), 0.5)
           AS transit_days_median,
       transit_percentile(array_agg(f.transit_days), array_agg(f.labels), 0.9)
           AS transit_days_p90,
       (sum(f.labels) FILTER (WHERE f.on_time))::float8
           / nullif(coalesce(sum(f.labels) FILTER (WHERE f.on_time IS NOT NULL), 0), 0)
           AS on_time_share
FROM analytics_service_facts($1, $2) f
WHERE ($3::text IS NULL OR lower(f.carrier) = lower($3::text))
  AND ($4::text IS NULL OR f.mode = $4::text)
GROUP BY 1, 2
ORDER BY labels DESC, carrier, service
