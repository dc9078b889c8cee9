-- Write this worker's heartbeat and its view of the account's pace ($4, NULL: not paced);
-- return the workers alive on the account (seen within $5 seconds, this one included) and
-- the average of their views. Rows of workers gone for an hour are dropped on the way.
WITH mine AS (
    INSERT INTO carrier_pace_workers (account, mode, worker, pace, seen_at)
    VALUES ($1, $2, $3, $4, now())
    ON CONFLICT (account, mode, worker)
        DO UPDATE SET pace = excluded.pace, seen_at = excluded.seen_at
    RETURNING worker
), gone AS (
    DELETE FROM carrier_pace_workers
    WHERE account = $1 AND mode = $2 AND seen_at < now() - interval '1 hour'
)
SELECT count(*)::int AS workers, avg(pace) AS pace
FROM (
    SELECT pace FROM carrier_pace_workers
    WHERE account = $1 AND mode = $2 AND worker <> $3
      AND seen_at > now() - make_interval(secs => $5)
    UNION ALL
    SELECT $4::double precision
) live
