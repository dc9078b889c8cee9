-- The sweep's work: current purchased shipments bought since $1 whose tracker is not final
-- (no trackers row yet counts as not final), one row per tracking code.
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
WHERE s.state = 'purchased'
  AND s.superseded_at IS NULL
  AND s.tracking_code IS NOT NULL
  AND s.purchased_at >= $1
  AND (t.status IS NULL
       OR t.status NOT IN ('delivered', 'return_to_sender', 'failure', 'cancelled'))
ORDER BY s.tracking_code, s.purchased_at DESC
