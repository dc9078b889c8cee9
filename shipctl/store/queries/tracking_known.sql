-- Shipments (current, any state) and their stored trackers for the codes in $1.
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
WHERE s.tracking_code = ANY($1::text[])
  AND s.superseded_at IS NULL
ORDER BY s.tracking_code, s.purchased_at DESC NULLS LAST
