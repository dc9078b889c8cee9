-- Rebuild the rollup rows of the whole UTC days in [$1, $2) with a noted change (migration
-- 0004), and remove the notes this statement saw. One statement, so one snapshot: a write committed
-- after it left its note behind and its day is read from shipments until the next refresh.
-- The caller holds the refresh lock, so two refreshes never rebuild the same day at once.
WITH taken AS (
    DELETE FROM analytics_changes c
    USING analytics_whole_days($1, $2) w
    WHERE c.day >= w.first_day AND c.day < w.end_day
    RETURNING c.day
), days AS (
    SELECT DISTINCT day FROM taken
), cleared_services AS (
    DELETE FROM analytics_service_days r USING days d WHERE r.day = d.day
), cleared_routes AS (
    DELETE FROM analytics_route_days r USING days d WHERE r.day = d.day
), services AS (
    INSERT INTO analytics_service_days
    SELECT f.*
    FROM days d
    CROSS JOIN LATERAL analytics_service_rows(d.day AT TIME ZONE 'UTC',
                                              (d.day + 1) AT TIME ZONE 'UTC') f
), routes AS (
    INSERT INTO analytics_route_days
    SELECT f.*
    FROM days d
    CROSS JOIN LATERAL analytics_route_rows(d.day AT TIME ZONE 'UTC',
                                            (d.day + 1) AT TIME ZONE 'UTC') f
)
SELECT count(*) FROM days
