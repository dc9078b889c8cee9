-- status: the tracking status mix of the labels bought in [$1, $2) and not refunded (a label
-- without a tracker is 'unknown'), then the exceptions, which may overlap:
--   return_to_sender, failure  the tracker's status;
--   late            still open and its promised day is before the day of $5 (the report's "now");
--   delivered_late  delivered after its promised day;
--   stale           still open and no tracking event for $6 days before $5.
-- Shares are of the labels counted in the status mix.
WITH shipped AS MATERIALIZED (
    SELECT coalesce(s.tracking_status, 'unknown') AS status,
           coalesce(s.tracking_status, 'unknown')
               NOT IN ('delivered', 'return_to_sender', 'failure', 'cancelled') AS open,
           (s.delivered_at AT TIME ZONE 'UTC')::date AS delivered_day,
           (coalesce(s.est_delivery_date, s.first_est_delivery_date) AT TIME ZONE 'UTC')::date
               AS promised_day,
           coalesce(s.last_event_at, s.purchased_at) AS last_seen
    FROM shipments s
    WHERE s.purchased_at >= $1 AND s.purchased_at < $2
      AND s.state = 'purchased'
      AND ($3::text IS NULL OR lower(s.carrier) = lower($3::text))
      AND ($4::text IS NULL OR s.mode = $4::text)
), exceptions AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE status = 'return_to_sender') AS return_to_sender,
           count(*) FILTER (WHERE status = 'failure') AS failure,
           count(*) FILTER (WHERE open AND promised_day < ($5 AT TIME ZONE 'UTC')::date) AS late,
           count(*) FILTER (WHERE status = 'delivered' AND delivered_day > promised_day)
               AS delivered_late,
           count(*) FILTER (WHERE open AND last_seen < $5 - make_interval(days => $6)) AS stale
    FROM shipped
), rows AS (
    SELECT 1 AS part, 'status' AS category, status AS name, count(*) AS labels
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
