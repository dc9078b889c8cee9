-- Current shipments with a tracking code and their stored trackers, one row per code (the
-- latest bought). With $1, the shipments of those codes in any state (`shipctl track CODE…`);
-- with $2, the sweep's work: purchased since $2 and not final (no trackers row yet counts as
-- not final).
SELECT DISTINCT ON (s.tracking_code)
       s.tracking_code,
       COALESCE(s.carrier, t.carrier)                        AS carrier,
       COALESCE(t.tracker_id, s.tracker_id)                  AS tracker_id,
       s.reference,
       s.purchased_at,
       COALESCE(t.est_delivery_date, s.est_delivery_date)   AS est_delivery_date,
       t.last_event_at,
       t.status
FROM shipments s
LEFT JOIN trackers t ON t.tracking_code = s.tracking_code
WHERE s.superseded_at IS NULL
  AND s.tracking_code IS NOT NULL
  AND ($1::text[] IS NULL OR s.tracking_code = ANY($1::text[]))
  AND ($2::timestamptz IS NULL
       OR (s.state = 'purchased'
           AND s.purchased_at >= $2::timestamptz
           AND (t.status IS NULL
                OR t.status NOT IN ('delivered', 'return_to_sender', 'failure', 'cancelled'))))
ORDER BY s.tracking_code, s.purchased_at DESC NULLS LAST
