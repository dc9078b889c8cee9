-- `--rebuy`: the current label of these references ($3) in mode $1 and store $2 becomes
-- history and a new row takes its place. Labels this run ($4) bought are not superseded
-- again: a resumed `--rebuy` run rebuys only the orders it has not rebought yet.
UPDATE shipments
SET superseded_at = now(), updated_at = now()
WHERE mode = $1 AND store = $2 AND reference = ANY($3::text[])
  AND superseded_at IS NULL
  AND state IN ('purchased', 'refunded')
  AND run_id IS DISTINCT FROM $4
