-- shipctl schema, version 14: what each worker sharing an account's pace is doing.
--
-- * carrier_pace_workers.state: the worker's part in the shared pace (jobs/pace_share.py):
--   probing (not paced yet: its slow start looks for the limit), open (not paced, the limit
--   out of its reach), paced, joining (about to take its share: the others make room first),
--   waiting (holding its calls while an older worker measures the limit) or idle (no calls
--   under way: it has nothing to claim). Probing, open, paced and joining workers split the
--   account's pace; waiting and idle ones do not.
-- * workers: among how many workers it last split the pace; its view of the account's pace
--   (`pace`) is its own pace times that, and a worker joining waits until the paced ones
--   count it.
-- * joined_at: when it first wrote its row. Of two workers starting together, the older one
--   probes the limit and the younger waits for its measure.
ALTER TABLE carrier_pace_workers
    ADD COLUMN state     text        NOT NULL DEFAULT 'paced',
    ADD COLUMN workers   integer     NOT NULL DEFAULT 1,
    ADD COLUMN joined_at timestamptz NOT NULL DEFAULT now();
