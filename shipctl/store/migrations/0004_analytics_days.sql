-- Analytics from day rollups: each UTC day's labels pre-aggregated at the grain the report
-- sections group by, so a 30-day report reads a few thousand rollup rows, not every label.
--
-- Exactness: transit days are whole UTC calendar days (the day delivered minus the day bought),
-- so a day's transit times are a histogram and medians and p90 computed from it are exact.
--
-- Freshness: every statement that writes shipments or refunds notes the purchase days it
-- touched in analytics_changes (one row per day and transaction, no lock shared between
-- writers). A day with a noted change is read from the shipments themselves until a refresh
-- (shipctl/analytics/refresh.sql) rebuilds its rollup rows and removes the notes it saw; a
-- note from a transaction that commits after the refresh's snapshot stays, so the day is read
-- from shipments again. A report is therefore exact whether or not a refresh has run.

CREATE TABLE analytics_changes (
    day   date   NOT NULL,
    xact  bigint NOT NULL DEFAULT txid_current(),
    PRIMARY KEY (day, xact)
);

-- Labels bought per day, mode, carrier, service, state, tracking status, transit days and
-- whether delivered on time: what overview, carrier, service, the time series and the status
-- mix need.
CREATE TABLE analytics_service_days (
    day            date    NOT NULL,
    mode           text    NOT NULL,
    carrier        text,
    service        text,
    state          text    NOT NULL,
    status         text    NOT NULL,
    transit_days   integer,
    on_time        boolean,
    labels         bigint  NOT NULL,
    spend          numeric,
    refund_amount  numeric
);
CREATE INDEX analytics_service_days_day ON analytics_service_days (day);

-- Labels bought per day, mode, carrier, route and transit days: what the route section needs.
CREATE TABLE analytics_route_days (
    day            date    NOT NULL,
    mode           text    NOT NULL,
    carrier        text,
    origin         text    NOT NULL,
    destination    text    NOT NULL,
    transit_days   integer,
    labels         bigint  NOT NULL,
    spend          numeric
);
CREATE INDEX analytics_route_days_day ON analytics_route_days (day);

-- The labels bought in [lo, hi) grouped at the grain of analytics_service_days. Used to build
-- a day's rollup and to read the days a rollup cannot answer.
CREATE FUNCTION analytics_service_rows(lo timestamptz, hi timestamptz)
RETURNS TABLE (
    day date, mode text, carrier text, service text, state text, status text,
    transit_days integer, on_time boolean, labels bigint, spend numeric, refund_amount numeric
)
LANGUAGE sql STABLE AS $$
    SELECT (s.purchased_at AT TIME ZONE 'UTC')::date,
           s.mode,
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

CREATE FUNCTION analytics_route_rows(lo timestamptz, hi timestamptz)
RETURNS TABLE (
    day date, mode text, carrier text, origin text, destination text, transit_days integer,
    labels bigint, spend numeric
)
LANGUAGE sql STABLE AS $$
    SELECT (s.purchased_at AT TIME ZONE 'UTC')::date,
           s.mode,
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

-- The whole UTC days inside [since, until) that a rollup may answer: [first_day, end_day).
-- The partial days at either end are read from shipments.
CREATE FUNCTION analytics_whole_days(since timestamptz, until timestamptz,
                                     OUT first_day date, OUT end_day date)
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN (since AT TIME ZONE 'UTC')::time = '00:00'
                THEN (since AT TIME ZONE 'UTC')::date
                ELSE (since AT TIME ZONE 'UTC')::date + 1 END,
           (until AT TIME ZONE 'UTC')::date
$$;

-- The spans of [since, until) that are read from shipments: the partial days at either end
-- and the whole days with a noted change. Empty spans (lo >= hi) select nothing.
CREATE FUNCTION analytics_raw_spans(since timestamptz, until timestamptz)
RETURNS TABLE (lo timestamptz, hi timestamptz)
LANGUAGE sql STABLE AS $$
    WITH w AS (SELECT * FROM analytics_whole_days(since, until))
    SELECT since, least(until, w.first_day AT TIME ZONE 'UTC') FROM w
    UNION ALL
    SELECT greatest(since, w.first_day AT TIME ZONE 'UTC', w.end_day AT TIME ZONE 'UTC'), until
    FROM w
    UNION ALL
    SELECT c.day AT TIME ZONE 'UTC', (c.day + 1) AT TIME ZONE 'UTC'
    FROM w, (SELECT DISTINCT day FROM analytics_changes) c
    WHERE c.day >= w.first_day AND c.day < w.end_day
$$;

-- Labels bought in [since, until) at the grain of analytics_service_days: rollup rows for the
-- whole days without a noted change, rows grouped from shipments for the rest.
CREATE FUNCTION analytics_service_facts(since timestamptz, until timestamptz)
RETURNS SETOF analytics_service_days
LANGUAGE sql STABLE AS $$
    SELECT r.*
    FROM analytics_whole_days(since, until) w, analytics_service_days r
    WHERE r.day >= w.first_day AND r.day < w.end_day
      AND r.day NOT IN (SELECT c.day FROM analytics_changes c)  -- one hashed lookup per row
    UNION ALL
    SELECT f.*
    FROM analytics_raw_spans(since, until) p
    CROSS JOIN LATERAL analytics_service_rows(p.lo, p.hi) f
$$;

-- The same for analytics_route_days.
CREATE FUNCTION analytics_route_facts(since timestamptz, until timestamptz)
RETURNS SETOF analytics_route_days
LANGUAGE sql STABLE AS $$
    SELECT r.*
    FROM analytics_whole_days(since, until) w, analytics_route_days r
    WHERE r.day >= w.first_day AND r.day < w.end_day
      AND r.day NOT IN (SELECT c.day FROM analytics_changes c)
    UNION ALL
    SELECT f.*
    FROM analytics_raw_spans(since, until) p
    CROSS JOIN LATERAL analytics_route_rows(p.lo, p.hi) f
$$;

-- percentile_cont(fraction) of a histogram: `counts[i]` values equal to `days[i]` (pairs with
-- a NULL day are ignored; a day may repeat). Linear interpolation between the closest ranks,
-- as percentile_cont does over the values themselves; NULL when there are none.
CREATE FUNCTION transit_percentile(days integer[], counts bigint[], fraction float8)
RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
    WITH histogram AS (
        SELECT d, sum(n) AS n
        FROM unnest(days, counts) AS u (d, n)
        WHERE d IS NOT NULL AND n > 0
        GROUP BY d
    ), ranked AS (
        SELECT d, sum(n) OVER (ORDER BY d) AS upto, sum(n) OVER () AS total FROM histogram
    ), rank_at AS (
        SELECT fraction * (max(total) - 1) AS at, max(total) AS total FROM ranked
    )
    SELECT low.d + (high.d - low.d) * (p.at - floor(p.at))
    FROM rank_at p
    -- the value at 0-based rank k is the smallest day whose running count exceeds k
    CROSS JOIN LATERAL (
        SELECT d FROM ranked WHERE upto > floor(p.at) ORDER BY d LIMIT 1
    ) AS low
    CROSS JOIN LATERAL (
        SELECT d FROM ranked WHERE upto > least(floor(p.at) + 1, p.total - 1) ORDER BY d LIMIT 1
    ) AS high
$$;

-- Note the purchase days a statement touched. Statement-level, from transition tables: one
-- insert per statement whatever its size (a COPY chunk, a tracking batch, a group commit).
CREATE FUNCTION analytics_note_shipments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO analytics_changes (day)
        SELECT DISTINCT (purchased_at AT TIME ZONE 'UTC')::date FROM new_rows
        WHERE purchased_at IS NOT NULL
        ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO analytics_changes (day)
        SELECT (purchased_at AT TIME ZONE 'UTC')::date FROM new_rows
        WHERE purchased_at IS NOT NULL
        UNION
        SELECT (purchased_at AT TIME ZONE 'UTC')::date FROM old_rows
        WHERE purchased_at IS NOT NULL
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO analytics_changes (day)
        SELECT DISTINCT (purchased_at AT TIME ZONE 'UTC')::date FROM old_rows
        WHERE purchased_at IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER shipments_analytics_inserted AFTER INSERT ON shipments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_note_shipments();
CREATE TRIGGER shipments_analytics_updated AFTER UPDATE ON shipments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_note_shipments();
CREATE TRIGGER shipments_analytics_deleted AFTER DELETE ON shipments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_note_shipments();

-- A refund's amount is part of its label's purchase day.
CREATE FUNCTION analytics_note_refunds() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO analytics_changes (day)
        SELECT DISTINCT (s.purchased_at AT TIME ZONE 'UTC')::date
        FROM new_rows r JOIN shipments s ON s.id = r.shipment_id
        WHERE s.purchased_at IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO analytics_changes (day)
        SELECT DISTINCT (s.purchased_at AT TIME ZONE 'UTC')::date
        FROM old_rows r JOIN shipments s ON s.id = r.shipment_id
        WHERE s.purchased_at IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER refunds_analytics_inserted AFTER INSERT ON refunds
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_note_refunds();
CREATE TRIGGER refunds_analytics_updated AFTER UPDATE ON refunds
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_note_refunds();
CREATE TRIGGER refunds_analytics_deleted AFTER DELETE ON refunds
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_note_refunds();

-- TRUNCATE fires no row triggers: emptying shipments empties the rollups.
CREATE FUNCTION analytics_forget_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM analytics_service_days;
    DELETE FROM analytics_route_days;
    DELETE FROM analytics_changes;
    RETURN NULL;
END
$$;

CREATE TRIGGER shipments_analytics_truncated AFTER TRUNCATE ON shipments
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_forget_all();

-- `demo seed` loads with session_replication_role = replica, which silences ordinary
-- triggers; these must see every write.
ALTER TABLE shipments ENABLE ALWAYS TRIGGER shipments_analytics_inserted;
ALTER TABLE shipments ENABLE ALWAYS TRIGGER shipments_analytics_updated;
ALTER TABLE shipments ENABLE ALWAYS TRIGGER shipments_analytics_deleted;
ALTER TABLE shipments ENABLE ALWAYS TRIGGER shipments_analytics_truncated;
ALTER TABLE refunds ENABLE ALWAYS TRIGGER refunds_analytics_inserted;
ALTER TABLE refunds ENABLE ALWAYS TRIGGER refunds_analytics_updated;
ALTER TABLE refunds ENABLE ALWAYS TRIGGER refunds_analytics_deleted;

-- The status section's late and stale labels depend on the report's "now", so they are
-- counted from the labels still in flight, which this index holds.
CREATE INDEX shipments_analytics_open ON shipments (purchased_at)
    INCLUDE (mode, carrier, est_delivery_date, first_est_delivery_date, last_event_at)
    WHERE state = 'purchased'
      AND coalesce(tracking_status, 'unknown')
          NOT IN ('delivered', 'return_to_sender', 'failure', 'cancelled');

-- Every day already holding labels starts out noted, so the first refresh builds its rollup.
INSERT INTO analytics_changes (day)
SELECT DISTINCT (purchased_at AT TIME ZONE 'UTC')::date FROM shipments
WHERE purchased_at IS NOT NULL;
