-- overview: one row. Labels bought = shipments purchased in [$1, $2) that are purchased or
-- refunded (refunded ones also count as refunds), from the day rollups of migration 0004;
-- failures are judged by created_at, since a failed purchase has no purchased_at.
-- $3 carrier (NULL = all), $4 report mode (NULL = all; see report_mode(), migration 0006).
WITH bought AS (
    SELECT coalesce(sum(f.labels), 0)::bigint AS labels,
           coalesce(sum(f.spend), 0) AS spend,
           sum(f.spend) / sum(f.labels) AS average_cost,
           coalesce(sum(f.labels) FILTER (WHERE f.state = 'refunded'), 0)::bigint AS refunds,
           coalesce(sum(f.refund_amount), 0) AS refund_amount,
           coalesce(sum(f.labels) FILTER (WHERE f.state = 'purchased'), 0)::bigint AS shipped,
           coalesce(sum(f.labels) FILTER (WHERE f.state = 'purchased'
                                            AND f.status = 'delivered'), 0)::bigint AS delivered
    FROM analytics_service_facts($1, $2) f
    WHERE ($3::text IS NULL OR lower(f.carrier) = lower($3::text))
      AND ($4::text IS NULL OR f.mode = $4::text)
), failed AS (
    SELECT count(*) AS failures
    FROM shipments s
    WHERE s.state = 'failed'
      AND s.created_at >= $1 AND s.created_at < $2
      AND ($3::text IS NULL OR lower(coalesce(s.carrier, s.requested_carrier)) = lower($3::text))
      AND ($4::text IS NULL OR report_mode(s.mode, s.reference) = $4::text)
      -- a dry run only quotes: its refusals are quote failures, not purchase failures
      AND NOT EXISTS (SELECT 1 FROM runs r
                      WHERE r.id = s.run_id AND r.options @> '{"dry_run": true}')
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
