-- How many of run $1's orders are still to be worked, by the rule of shipments_claim ($2
-- always, $3 if last changed before $4). Orders locked by other workers count: a worker with
-- nothing left to claim waits for them.
SELECT count(*) FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL
  AND (state = ANY($2::text[]) OR (state = ANY($3::text[]) AND updated_at < $4))
