-- carrier: labels bought in [$1, $2) per carrier, with transit days from purchase to delivery
-- and the on-time share against the first promise (the shipment's estimate when bought, else
-- the tracker's first estimate), compared as UTC calendar days. The tracker's figures are the
-- shipment's own copy (migration 0003), so this is one index-only range scan, no join.
SELECT carrier, labels, spend, average_cost, delivered, transit_days_mean,
       transit[1] AS transit_days_median, transit[2] AS transit_days_p90, on_time_share
FROM (
    SELECT s.carrier,
           count(*) AS labels,
           sum(s.rate) AS spend,
           avg(s.rate) AS average_cost,
           count(d.transit_days) AS delivered,
           avg(d.transit_days) AS transit_days_mean,
           -- both percentiles from one sort of the group
           percentile_cont('{0.5, 0.9}'::float8[]) WITHIN GROUP (ORDER BY d.transit_days)
               AS transit,
           avg(d.on_time) AS on_time_share
    FROM shipments s
    CROSS JOIN LATERAL (
        -- date_part gives float8 directly; extract() would go through numeric
        SELECT CASE WHEN s.tracking_status = 'delivered'
                    THEN date_part('epoch', s.delivered_at - s.purchased_at) / 86400 END
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
) AS per_carrier
ORDER BY labels DESC, carrier
