-- overview: one row. Labels bought = shipments purchased in [$1, $2) that are purchased or
-- refunded (refunded ones also count as refunds); failures are judged by created_at, since a
-- failed purchase has no purchased_at. $3 carrier (NULL = all), $4 mode (NULL = all).
WITH bought AS (
    SELECT count(*) AS labels,
           coalesce(sum(s.rate), 0) AS spend,
           avg(s.rate) AS average_cost,
           count(*) FILTER (WHERE s.state = 'refunded') AS refunds,
           -- the refund row holds what EasyPost gave back; without one, the label's price
           coalesce(sum(coalesce(
               (SELECT r.amount FROM refunds r WHERE r.shipment_id = s.id), s.rate
           )) FILTER (WHERE s.state = 'refunded'), 0) AS refund_amount,
           count(*) FILTER (WHERE s.state = 'purchased') AS shipped,
           count(*) FILTER (WHERE s.state = 'purchased' AND s.tracking_status = 'delivered') AS delivered
    FROM shipments s
    WHERE s.purchased_at >= $1 AND s.purchased_at < $2
      AND s.state IN ('purchased', 'refunded')
      AND ($3::text IS NULL OR lower(s.carrier) = lower($3::text))
      AND ($4::text IS NULL OR s.mode = $4::text)
), failed AS (
    SELECT count(*) AS failures
    FROM shipments s
    WHERE s.state = 'failed'
      AND s.created_at >= $1 AND s.created_at < $2
      AND ($3::text IS NULL OR lower(coalesce(s.carrier, s.requested_carrier)) = lower($3::text))
      AND ($4::text IS NULL OR s.mode = $4::text)
)
SELECT b.labels,
       b.spend,
       b.average_cost,
       b.refunds,
       b.refund_amount,
       b.spend - b.refund_amount AS net_spend,
       f.failures AS purchase_failures,
       b.delivered,
       b.delivered::float8 / nullif(b.shipped, 0) AS delivered_share
FROM bought b CROSS JOIN failed f
