-- shipctl schema, version 11: the workers of a run, and the pace they share.
--
-- * run_workers: one row per `shipctl bulk` worker on a run (the first one, a rerun, or one
--   started with `--join RUN` on this machine or another), written by its lease: where it ran,
--   when, and how many labels it bought.
-- * carrier_pace_workers: each worker's heartbeat on an account (a digest of its API key and
--   base, never the key) and mode, with the account's pace as that worker sees it (its own
--   pace times the workers it counted; NULL while it is not paced). Every second or so each
--   worker writes its row and reads the others' in one statement, and paces at its share:
--   the average of the live views divided by the live workers (see jobs/pace_share.py).

CREATE TABLE run_workers (
    id          bigserial   PRIMARY KEY,
    run_id      bigint      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    host        text        NOT NULL,
    pid         integer     NOT NULL,
    joined      boolean     NOT NULL DEFAULT false,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    bought      integer     NOT NULL DEFAULT 0
);
CREATE INDEX run_workers_run ON run_workers (run_id, id);

CREATE TABLE carrier_pace_workers (
    account    text             NOT NULL,
    mode       text             NOT NULL,
    worker     text             NOT NULL,
    pace       double precision,
    seen_at    timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (account, mode, worker)
);
