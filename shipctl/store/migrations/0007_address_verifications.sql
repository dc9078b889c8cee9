-- What EasyPost's address verification said of each destination, keyed by a digest of the
-- normalised address and the mode: a rerun or a repeat customer costs no call. Orders keep
-- the outcome, the corrected address (one line) and the residential flag.
CREATE TABLE address_verifications (
    digest       text        PRIMARY KEY,
    mode         text        NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('verified', 'undeliverable')),
    corrected    jsonb,
    residential  boolean,
    message      text,
    suggestion   text,
    verified_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE shipments ADD COLUMN verification text
    CHECK (verification IN ('verified', 'corrected', 'undeliverable'));
ALTER TABLE shipments ADD COLUMN verified_address text;
ALTER TABLE shipments ADD COLUMN to_residential boolean;
-- The order's digest as the file gave it, before an accepted correction changed the
-- to-address: a rerun of the same file is then not "changed after purchase".
ALTER TABLE shipments ADD COLUMN uncorrected_digest text;
