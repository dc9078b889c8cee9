-- route: origin state -> destination state (the country outside the US), the $5 busiest by
-- labels bought in [$1, $2), with spend and median transit days (whole UTC calendar days) of
-- the delivered ones. From the route day rollups of migration 0004.
WITH routes AS (
    SELECT f.origin,
           f.destination,
           sum(f.labels)::bigint AS labels,
           sum(f.spend) AS spend,
           array_agg(f.transit_days) AS days,
           array_agg(f.labels) AS counts
    FROM analytics_route_facts($1, $2) f
    WHERE ($3::text IS NULL OR lower(f.carrier) = lower($3::text))
      AND ($4::text IS NULL OR f.mode = $4::text)
    GROUP BY f.origin, f.destination
    ORDER BY labels DESC, spend DESC, f.origin, f.destination
    LIMIT $5
)
SELECT origin, destination, labels, spend,
       transit_percentile(days, counts, 0.5) AS transit_days_median
FROM routes
ORDER BY labels DESC, spend DESC, origin, destination
