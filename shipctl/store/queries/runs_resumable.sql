-- The latest unfinished run of the same input in the same mode and store, which a rerun
-- (or a second worker) continues.
SELECT id FROM runs
WHERE kind = $1 AND input_sha256 = $2 AND mode = $3 AND store = $4
  AND status IN ('running', 'interrupted')
ORDER BY id DESC
LIMIT 1
