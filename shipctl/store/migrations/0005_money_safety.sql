-- shipctl schema, version 5: what keeps every purchase exactly once.
--
-- * `unknown`: a buy was sent and its outcome could not be learned (answer lost, then the
--   retrieve failed too). The order keeps its shipment id and is resolved by retrieving it.
-- * Orders are identified by (mode, store, reference): simulated labels never block test or
--   live ones, and `#1001` of two stores are two orders.
-- * order_digest / shipment_digest: the order's data as last read, and the data its EasyPost
--   shipment was made for. A shipment made for other data is abandoned once it is known not
--   to be bought; a label bought for other data is reported.
-- * run_orders: every order of a run's file in input order, including those bought by other
--   runs, so a rerun can write the whole file's results and labels again.

ALTER TABLE shipments DROP CONSTRAINT shipments_state_check;
ALTER TABLE shipments ADD CONSTRAINT shipments_state_check
    CHECK (state IN ('pending', 'created', 'unknown', 'purchased', 'failed', 'refunded'));

ALTER TABLE shipments
    ADD COLUMN store                  text   NOT NULL DEFAULT 'default',
    ADD COLUMN order_digest           text,
    ADD COLUMN shipment_digest        text,
    -- the format of the label as EasyPost made it (PDF, ZPL, PNG, EPL2)
    ADD COLUMN label_file_format      text,
    ADD COLUMN abandoned_shipment_ids text[] NOT NULL DEFAULT '{}';

DROP INDEX shipments_current_reference;
CREATE UNIQUE INDEX shipments_current_reference
    ON shipments (mode, store, reference) WHERE superseded_at IS NULL;

DROP INDEX shipments_state;
CREATE INDEX shipments_state ON shipments (state) WHERE state IN ('pending', 'created', 'unknown');

ALTER TABLE runs ADD COLUMN store text NOT NULL DEFAULT 'default';
ALTER TABLE runs ADD COLUMN unknown integer NOT NULL DEFAULT 0;
CREATE INDEX runs_resumable ON runs (input_sha256) WHERE status IN ('running', 'interrupted');

CREATE TABLE run_orders (
    run_id     bigint    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position   integer   NOT NULL,
    reference  text      NOT NULL,
    PRIMARY KEY (run_id, position)
);

-- A run's file, order by order: the row this run worked on, else the current one.
CREATE INDEX shipments_mode_store_reference ON shipments (mode, store, reference);
