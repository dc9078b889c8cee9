-- What this worker, leaving, knew of the account's limit: its state ($3: paced or open), the
-- account's pace as it saw it ($4) and the calls it had in flight ($5).
INSERT INTO carrier_pace_accounts AS a (account, mode, state, pace, "window", seen_at)
VALUES ($1, $2, $3, $4, $5, now())
ON CONFLICT (account, mode) DO UPDATE
    SET state = excluded.state, pace = excluded.pace, "window" = excluded."window",
        seen_at = excluded.seen_at
