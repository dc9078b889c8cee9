-- country: labels bought in [$1, $2) by destination country, domestic (the same country as
-- the sender; Puerto Rico and the US Virgin Islands count as the US) before international,
-- with spend, average cost and median transit days (whole UTC calendar days) of the
-- delivered ones. Read from the shipments themselves (the route rollups keep no countries).
WITH bought AS (
    SELECT s.to_country AS country,
           CASE WHEN coalesce(s.from_country, 'US') = s.to_country
                  OR (coalesce(s.from_country, 'US') IN ('US', 'PR', 'VI')
                      AND s.to_country IN ('US', 'PR', 'VI'))
                THEN 'domestic' ELSE 'international' END AS scope,
           s.rate,
           CASE WHEN s.tracking_status = 'delivered'
                THEN (s.delivered_at AT TIME ZONE 'UTC')::date
                     - (s.purchased_at AT TIME ZONE 'UTC')::date END AS transit_days
    FROM shipments s
    WHERE s.purchased_at >= $1 AND s.purchased_at < $2
      AND s.state IN ('purchased', 'refunded')
      AND ($3::text IS NULL OR lower(s.carrier) = lower($3::text))
      AND ($4::text IS NULL OR s.mode = $4::text)
)
SELECT scope,
       country,
       count(*)::bigint AS labels,
       sum(rate) AS spend,
       avg(rate) AS average_cost,
       count(transit_days)::bigint AS delivered,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY transit_days) AS transit_days_median
FROM bought
GROUP BY scope, country
ORDER BY scope, labels DESC, spend DESC, country
