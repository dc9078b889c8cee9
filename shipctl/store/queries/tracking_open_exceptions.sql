-- Shipments that came back or failed and are not resolved: current (no rebuy superseded
-- them), still purchased (not refunded), bought since $1, whose tracker's final status is
-- return_to_sender or failure. A sweep reports them every run until they are resolved.
SELECT DISTINCT ON (s.tracking_code)
       s.tracking_code,
       COALESCE(t.carrier, s.carrier)                       AS carrier,
       s.reference,
       t.status,
       t.status_detail,
       COALESCE(t.est_delivery_date, s.est_delivery_date)  AS est_delivery_date,
       t.last_event_at
FROM shipments s
JOIN trackers t ON t.tracking_code = s.tracking_code
WHERE s.superseded_at IS NULL
  AND s.state = 'purchased'
  AND s.purchased_at >= $1::timestamptz
  AND t.status IN ('return_to_sender', 'failure')
ORDER BY s.tracking_code, s.purchased_at DESC NULLS LAST
