-- route: origin state -> destination state (the country outside the US), the $5 busiest by
-- labels bought in [$1, $2), with spend and median transit days of the delivered ones.
SELECT r.origin,
       r.destination,
       count(*) AS labels,
       sum(s.rate) AS spend,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.transit_days) AS transit_days_median
FROM shipments s
CROSS JOIN LATERAL (
    SELECT CASE WHEN coalesce(s.from_country, 'US') = 'US'
                THEN coalesce(s.from_state, 'unknown') ELSE s.from_country END AS origin,
           CASE WHEN s.to_country = 'US'
                THEN coalesce(s.to_state, 'unknown') ELSE s.to_country END AS destination,
           CASE WHEN s.tracking_status = 'delivered'
                THEN date_part('epoch', s.delivered_at - s.purchased_at) / 86400 END
               AS transit_days
) r
WHERE s.purchased_at >= $1 AND s.purchased_at < $2
  AND s.state IN ('purchased', 'refunded')
  AND ($3::text IS NULL OR lower(s.carrier) = lower($3::text))
  AND ($4::text IS NULL OR s.mode = $4::text)
GROUP BY r.origin, r.destination
ORDER BY labels DESC, spend DESC, r.origin, r.destination
LIMIT $5
