-- Report modes: analytics tell the labels of `shipctl demo seed` (simulated, references DEMO-…)
-- apart from other simulated labels, as mode 'demo', without a new column: report_mode() is
-- the mode a report files a shipment under, and the day rollups of 0004 group by it.

CREATE FUNCTION report_mode(mode text, reference text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN mode = 'simulated' AND reference LIKE 'DEMO-%' THEN 'demo' ELSE mode END
$$;

CREATE OR REPLACE FUNCTION analytics_service_rows(lo timestamptz, hi timestamptz)
RETURNS TABLE (
    day date, mode text, carrier text, service text, state text, status text,
    transit_days integer, on_time boolean, labels bigint, spend numeric, refund_amount numeric
)
LANGUAGE sql STABLE AS $$
    SELECT (s.purchased_at AT TIME ZONE 'UTC')::date,
           report_mode(s.mode, s.reference),
           s.carrier,
           s.service,
           s.state,
           coalesce(s.tracking_status, 'unknown'),
           CASE WHEN s.tracking_status = 'delivered'
                THEN (s.delivered_at AT TIME ZONE 'UTC')::date
                     - (s.purchased_at AT TIME ZONE 'UTC')::date END,
           CASE WHEN s.tracking_status = 'delivered'
                 AND coalesce(s.est_delivery_date, s.first_est_delivery_date) IS NOT NULL
                THEN (s.delivered_at AT TIME ZONE 'UTC')::date
                     <= (coalesce(s.est_delivery_date, s.first_est_delivery_date)
                         AT TIME ZONE 'UTC')::date END,
           count(*),
           sum(s.rate),
           -- what EasyPost gave back: the refund row's amount, else the label's price
           sum(coalesce((SELECT r.amount FROM refunds r WHERE r.shipment_id = s.id), s.rate))
               FILTER (WHERE s.state = 'refunded')
    FROM shipments s
    WHERE s.purchased_at >= lo AND s.purchased_at < hi
      AND s.state IN ('purchased', 'refunded')
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
$$;

CREATE OR REPLACE FUNCTION analytics_route_rows(lo timestamptz, hi timestamptz)
RETURNS TABLE (
    day date, mode text, carrier text, origin text, destination text, transit_days integer,
    labels bigint, spend numeric
)
LANGUAGE sql STABLE AS $$
    SELECT (s.purchased_at AT TIME ZONE 'UTC')::date,
           report_mode(s.mode, s.reference),
           s.carrier,
           -- a state inside the US, the country outside it
           CASE WHEN coalesce(s.from_country, 'US') = 'US'
                THEN coalesce(s.from_state, 'unknown') ELSE s.from_country END,
           CASE WHEN s.to_country = 'US'
                THEN coalesce(s.to_state, 'unknown') ELSE s.to_country END,
           CASE WHEN s.tracking_status = 'delivered'
                THEN (s.delivered_at AT TIME ZONE 'UTC')::date
                     - (s.purchased_at AT TIME ZONE 'UTC')::date END,
           count(*),
           sum(s.rate)
    FROM shipments s
    WHERE s.purchased_at >= lo AND s.purchased_at < hi
      AND s.state IN ('purchased', 'refunded')
    GROUP BY 1, 2, 3, 4, 5, 6
$$;

-- Rollup rows built before this migration file demo labels under 'simulated': their days are
-- read from the shipments until the next refresh rebuilds them.
INSERT INTO analytics_changes (day)
SELECT day FROM analytics_service_days WHERE mode = 'simulated'
UNION
SELECT day FROM analytics_route_days WHERE mode = 'simulated';
