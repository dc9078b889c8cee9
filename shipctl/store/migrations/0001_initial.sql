-- shipctl schema, version 1: runs, shipments (the order state machine), trackers,
-- tracking events and refunds. Money is numeric, times are timestamptz, weights are ounces.

CREATE TABLE runs (
    id                bigserial PRIMARY KEY,
    kind              text        NOT NULL CHECK (kind IN ('bulk', 'create', 'track', 'refund')),
    input_path        text,
    input_sha256      text,
    options           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    mode              text        NOT NULL DEFAULT 'test' CHECK (mode IN ('live', 'test', 'simulated')),
    status            text        NOT NULL DEFAULT 'running'
                                  CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    orders_total      integer     NOT NULL DEFAULT 0,
    purchased         integer     NOT NULL DEFAULT 0,
    failed            integer     NOT NULL DEFAULT 0,
    skipped           integer     NOT NULL DEFAULT 0,
    already_purchased integer     NOT NULL DEFAULT 0,
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);
CREATE INDEX runs_started_at ON runs (started_at DESC);

-- One row per order reference and label. A reference has at most one current row
-- (superseded_at IS NULL); `--rebuy` supersedes the old row and inserts a new one.
CREATE TABLE shipments (
    id                    bigserial PRIMARY KEY,
    reference             text        NOT NULL,
    run_id                bigint      REFERENCES runs (id) ON DELETE SET NULL,
    state                 text        NOT NULL DEFAULT 'pending'
                                      CHECK (state IN ('pending', 'created', 'purchased', 'failed', 'refunded')),
    mode                  text        NOT NULL DEFAULT 'test' CHECK (mode IN ('live', 'test', 'simulated')),
    source_rows           integer[]   NOT NULL DEFAULT '{}',
    position              integer,
    -- the order as read
    to_name               text,
    to_company            text,
    to_street1            text,
    to_street2            text,
    to_city               text,
    to_state              text,
    to_zip                text,
    to_country            text        NOT NULL DEFAULT 'US',
    to_phone              text,
    to_email              text,
    from_name             text,
    from_company          text,
    from_street1          text,
    from_street2          text,
    from_city             text,
    from_state            text,
    from_zip              text,
    from_country          text,
    from_phone            text,
    weight_oz             numeric(10, 2),
    length_in             numeric(8, 2),
    width_in              numeric(8, 2),
    height_in             numeric(8, 2),
    predefined_package    text,
    requested_carrier     text,
    requested_service     text,
    rate_rule             text,
    label_format          text,
    -- what EasyPost made of it
    easypost_shipment_id  text UNIQUE,
    rate_id               text,
    carrier               text,
    service               text,
    rate                  numeric(12, 2),
    currency              text,
    delivery_days         integer,
    est_delivery_date     timestamptz,
    tracking_code         text,
    tracker_id            text,
    label_url             text,
    purchased_at          timestamptz,
    error_code            text,
    error_message         text,
    attempts              integer     NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    superseded_at         timestamptz
);
CREATE UNIQUE INDEX shipments_current_reference ON shipments (reference) WHERE superseded_at IS NULL;
CREATE INDEX shipments_run ON shipments (run_id, position);
CREATE INDEX shipments_state ON shipments (state) WHERE state IN ('pending', 'created');
CREATE INDEX shipments_tracking_code ON shipments (tracking_code) WHERE tracking_code IS NOT NULL;
CREATE INDEX shipments_purchased_at ON shipments (purchased_at) WHERE purchased_at IS NOT NULL;
CREATE INDEX shipments_created_at ON shipments (created_at);

CREATE TABLE trackers (
    tracking_code           text PRIMARY KEY,
    carrier                 text,
    tracker_id              text,
    status                  text        NOT NULL DEFAULT 'unknown',
    status_detail           text,
    est_delivery_date       timestamptz,
    -- the first estimate seen: on-time delivery is judged against the promise, not the last revision
    first_est_delivery_date timestamptz,
    delivered_at            timestamptz,
    signed_by               text,
    public_url              text,
    last_event_at           timestamptz,
    checked_at              timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trackers_status ON trackers (status);

CREATE TABLE tracking_events (
    id             bigserial PRIMARY KEY,
    tracking_code  text        NOT NULL REFERENCES trackers (tracking_code) ON DELETE CASCADE,
    occurred_at    timestamptz NOT NULL,
    status         text        NOT NULL,
    status_detail  text,
    message        text        NOT NULL DEFAULT '',
    city           text,
    state          text,
    zip            text,
    country        text,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tracking_code, occurred_at, status, message)
);

CREATE TABLE refunds (
    id                    bigserial PRIMARY KEY,
    shipment_id           bigint      NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    easypost_shipment_id  text        NOT NULL,
    status                text        NOT NULL,
    amount                numeric(12, 2),
    requested_at          timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (shipment_id)
);
