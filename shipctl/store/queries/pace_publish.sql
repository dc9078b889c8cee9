-- Write this worker's heartbeat: its part in the shared pace ($4), its view of the account's
-- pace ($5, NULL: none yet) and among how many workers it split it ($6); return every worker
-- alive on the account (seen within $7 seconds), this one included, oldest first. Rows of
-- workers gone for an hour are dropped on the way.
WITH mine AS (
    INSERT INTO carrier_pace_workers AS w (account, mode, worker, state, pace, workers, seen_at)
    VALUES ($1, $2, $3, $4, $5, $6, now())
    ON CONFLICT (account, mode, worker) DO UPDATE
        SET state = excluded.state, pace = excluded.pace, workers = excluded.workers,
            seen_at = excluded.seen_at
    RETURNING w.worker, w.state, w.pace, w.workers, w.joined_at
), gone AS (
    DELETE FROM carrier_pace_workers
    WHERE account = $1 AND mode = $2 AND seen_at < now() - interval '1 hour'
)
SELECT worker, state, pace, workers, joined_at FROM mine
UNION ALL
SELECT worker, state, pace, workers, joined_at FROM carrier_pace_workers
WHERE account = $1 AND mode = $2 AND worker <> $3
  AND seen_at > now() - make_interval(secs => $7)
ORDER BY joined_at, worker
