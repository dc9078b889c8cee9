-- shipctl schema, version 12: scan forms by carrier account, and labels left off them.
--
-- * shipments.carrier_account_id: the EasyPost carrier account of the rate chosen (written
--   with the shipment id) and bought (from the bought rate). EasyPost puts on one scan form
--   only labels of one carrier account, and an account may hold two accounts of a carrier.
--   Backfilled for labels whose order named its account (options.carrier_account: only that
--   account rated them); NULL otherwise, learned by `manifest` from the shipment on EasyPost
--   before it groups them.
-- * scan_forms.carrier_account_id: the account of the form's labels (NULL: not known, the
--   labels grouped by carrier name).
-- * scan_form_exclusions: a label EasyPost refused onto a form (refunded or already on a form
--   outside shipctl, dated before the form, not found…), with its reason, so that one bad
--   label does not refuse its whole group on every run: it is never asked onto a form
--   again. `on_scan_form`: the form EasyPost says it is on already, if any (the label is
--   then manifested, by a form made elsewhere).

ALTER TABLE shipments ADD COLUMN carrier_account_id text;

UPDATE shipments
SET carrier_account_id = options ->> 'carrier_account'
WHERE options ? 'carrier_account' AND easypost_shipment_id IS NOT NULL;

ALTER TABLE scan_forms ADD COLUMN carrier_account_id text;

CREATE TABLE scan_form_exclusions (
    shipment_id    bigint      NOT NULL PRIMARY KEY REFERENCES shipments (id) ON DELETE CASCADE,
    -- the intent whose request EasyPost refused because of this label
    scan_form_id   bigint      REFERENCES scan_forms (id) ON DELETE SET NULL,
    tracking_code  text        NOT NULL,
    reason         text        NOT NULL CHECK (reason IN ('refunded', 'on_scan_form',
                                                          'dated_before', 'not_bought',
                                                          'not_found', 'origin', 'refused')),
    error_code     text,
    message        text        NOT NULL,
    on_scan_form   text,
    excluded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scan_form_exclusions_form ON scan_form_exclusions (scan_form_id);
