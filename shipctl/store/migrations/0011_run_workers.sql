-- shipctl schema, version 11: the workers of a run, and the pace they share.
--
-- * run_workers: one row per `shipctl bulk` worker on a run (the first one, a rerun, or one
--   started with `--join RUN` on this machine or another), written by its lease: where it ran,
--   when, and how many labels it bought.
-- * carrier_pace: per account and mode, the rate the workers on it may call at together, as
--   the last worker to measure it published it, and each worker's heartbeat; a worker paces
--   at its share (the pace divided among the workers seen in the last few seconds).

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
    pace       double precision NOT NULL,
    seen_at    timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (account, mode, worker)
);
