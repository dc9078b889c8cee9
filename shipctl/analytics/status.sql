-- status: the tracking status mix of the labels bought in [$1, $2) and not refunded (a label
-- without a tracker is 'unknown'), then the exceptions, which may overlap:
--   return_to_sender, failure  the tracker's status;
--   late            still open and its promised day is before the day of $5 (the report's "now");
--   delivered_late  delivered after its promised day;
--   stale           still open and no tracking event for $6 days before $5.
-- Shares are of the labels counted in the status mix. The mix and the closed exceptions come
-- from the day rollups of migration 0004; late and stale depend on $5, so they are counted
-- from the labels still in flight (index shipments_analytics_open).
WITH shipped AS MATERIALIZED (
    SELECT f.status, f.on_time, f.labels
    FROM analytics_service_facts($1, $2) f
    WHERE f.state = 'purchased'
      AND ($3::text IS NULL OR lower(f.carrier) = lower($3::text))
      AND ($4::text IS NULL OR f.mode = $4::text)
), in_flight AS (
    SELECT count(*) FILTER (
               WHERE (coalesce(s.est_delivery_date, s.first_est_delivery_date)
                      AT TIME ZONE 'UTC')::date < ($5 AT TIME ZONE 'UTC')::date) AS late,
           count(*) FILTER (
               WHERE coalesce(s.last_event_at, s.purchased_at) < $5 - make_interval(days => $6))
               AS stale
    FROM shipments s
    WHERE s.purchased_at >= $1 AND s.purchased_at < $2
      AND s.state = 'purchased'
      AND coalesce(s.tracking_status, 'unknown')
          NOT IN ('delivered', 'return_to_sender', 'failure', 'cancelled')
      AND ($3::text IS NULL OR lower(s.carrier) = lower($3::text))
      AND ($4::text IS NULL OR report_mode(s.mode, s.reference) = $4::text)
), exceptions AS (
    SELECT sum(labels)::bigint AS total,
           coalesce(sum(labels) FILTER (WHERE status = 'return_to_sender'), 0)::bigint
               AS return_to_sender,
           coalesce(sum(labels) FILTER (WHERE status = 'failure'), 0)::bigint AS failure,
           o.late,
           coalesce(sum(labels) FILTER (WHERE status = 'delivered' AND NOT on_time), 0)::bigint
               AS delivered_late,
           o.stale
    FROM shipped CROSS JOIN in_flight o
    GROUP BY o.late, o.stale
), rows AS (
    SELECT 1 AS part, 'status' AS category, status AS name, sum(labels)::bigint AS labels
    FROM shipped
    GROUP BY status
    UNION ALL
    SELECT 2, 'exception', x.name, x.labels
    FROM exceptions e
    CROSS JOIN LATERAL (VALUES
        ('return_to_sender', e.return_to_sender), ('failure', e.failure), ('late', e.late),
        ('delivered_late', e.delivered_late), ('stale', e.stale)
    ) AS x (name, labels)
    WHERE e.total > 0  -- no labels, no exception rows: an empty window is an empty section
)
SELECT r.category, r.name, r.labels, r.labels::float8 / nullif(e.total, 0) AS share
FROM rows r CROSS JOIN exceptions e
ORDER BY r.part, CASE WHEN r.part = 1 THEN -r.labels ELSE 0 END, r.name
