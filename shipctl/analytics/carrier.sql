-- carrier: labels bought in [$1, $2) per carrier, with transit days from purchase to delivery
-- and the on-time share against the first promise (the shipment's estimate when bought, else
-- the tracker's first estimate), compared as UTC calendar days.
SELECT s.carrier,
       count(*) AS labels,
       sum(s.rate) AS spend,
       avg(s.rate) AS average_cost,
       count(d.transit_days) AS delivered,
       avg(d.transit_days) AS transit_days_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY d.transit_days) AS transit_days_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY d.transit_days) AS transit_days_p90,
       avg(d.on_time) AS on_time_share
FROM shipments s
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.tracking_status = 'delivered'
                THEN extract(epoch FROM s.delivered_at - s.purchased_at)::float8 / 86400 END
               AS transit_days,
           CASE WHEN s.tracking_status = 'delivered'
                 AND coalesce(s.est_delivery_date, s.first_est_delivery_date) IS NOT NULL
                THEN ((s.delivered_at AT TIME ZONE 'UTC')::date
                      <= (coalesce(s.est_delivery_date, s.first_est_delivery_date)
                          AT TIME ZONE 'UTC')::date)::int::float8 END
               AS on_time
) d
WHERE s.purchased_at >= $1 AND s.purchased_at < $2
  AND s.state IN ('purchased', 'refunded')
  AND ($3::text IS NULL OR lower(s.carrier) = lower($3::text))
  AND ($4::text IS NULL OR s.mode = $4::text)
GROUP BY s.carrier
ORDER BY labels DESC, s.carrier
