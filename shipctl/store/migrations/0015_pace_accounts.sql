-- Shared pace, continued from 0014:
--
-- * carrier_pace_accounts: what the last worker to leave an account knew of its limit: paced
--   (`pace`, the account's pace as it saw it) or open (no 429 with `window` calls in flight).
--   A worker arriving alone on an account seen within a few minutes starts there instead of
--   probing the limit from slow start (jobs/pace_share.py).
CREATE TABLE carrier_pace_accounts (
    account text             NOT NULL,
    mode    text             NOT NULL,
    state   text             NOT NULL,
    pace    double precision,
    "window" integer         NOT NULL,
    seen_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (account, mode)
);
