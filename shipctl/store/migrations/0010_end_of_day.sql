-- shipctl schema, version 6: the end of the day. Scan forms (manifests), carrier pickups,
-- and the ship date a label was bought for.
--
-- * shipments.label_date: the date printed on the label (EasyPost's `label_date` option);
--   NULL when none was asked for, then the label's ship date is the day it was bought (UTC).
-- * scan_forms: one row per form asked of EasyPost, written (state `requested`) and
--   committed before the request, with its labels in scan_form_labels. A label has at most
--   one row there (primary key), so a label is never asked onto two forms. `requested` with
--   no answer is resolved by listing the account's scan forms, never by asking again; a form
--   EasyPost refused (`failed`) gives its labels back (its rows are deleted).
-- * pickups: one row per pickup, written before it is created and again before it is bought
--   (state `buying`); a lost buy answer is resolved by retrieving the pickup. One pickup a
--   day per carrier and origin (pickups_current) until it is cancelled.

ALTER TABLE shipments ADD COLUMN label_date date;

CREATE TABLE scan_forms (
    id                     bigserial   PRIMARY KEY,
    mode                   text        NOT NULL CHECK (mode IN ('live', 'test', 'simulated')),
    ship_date              date        NOT NULL,
    carrier                text        NOT NULL,
    origin                 text        NOT NULL,
    state                  text        NOT NULL DEFAULT 'requested'
                                       CHECK (state IN ('requested', 'created', 'failed')),
    easypost_scan_form_id  text        UNIQUE,
    easypost_batch_id      text,
    form_url               text,
    label_count            integer     NOT NULL DEFAULT 0,
    error_code             text,
    error_message          text,
    requested_at           timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scan_forms_day ON scan_forms (mode, ship_date);
CREATE INDEX scan_forms_requested ON scan_forms (mode) WHERE state = 'requested';

CREATE TABLE scan_form_labels (
    shipment_id    bigint NOT NULL PRIMARY KEY REFERENCES shipments (id) ON DELETE CASCADE,
    scan_form_id   bigint NOT NULL REFERENCES scan_forms (id) ON DELETE CASCADE,
    tracking_code  text   NOT NULL
);
CREATE INDEX scan_form_labels_form ON scan_form_labels (scan_form_id);

CREATE TABLE pickups (
    id                  bigserial   PRIMARY KEY,
    mode                text        NOT NULL CHECK (mode IN ('live', 'test', 'simulated')),
    pickup_date         date        NOT NULL,
    state               text        NOT NULL DEFAULT 'creating'
                                    CHECK (state IN ('creating', 'created', 'buying', 'scheduled',
                                                     'canceled', 'failed')),
    easypost_pickup_id  text        UNIQUE,
    reference           text        NOT NULL,
    -- the labels' carrier and origin: one pickup a day for each, until it is cancelled
    label_carrier       text        NOT NULL,
    origin              text        NOT NULL,
    shipment_id         text        NOT NULL,
    carrier             text,
    service             text,
    rate                numeric(12, 2),
    confirmation        text,
    min_datetime        timestamptz NOT NULL,
    max_datetime        timestamptz NOT NULL,
    instructions        text,
    label_count         integer     NOT NULL DEFAULT 0,
    error_message       text,
    requested_at        timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pickups_day ON pickups (mode, pickup_date);
CREATE UNIQUE INDEX pickups_current ON pickups (mode, pickup_date, label_carrier, origin)
    WHERE state NOT IN ('canceled', 'failed');
