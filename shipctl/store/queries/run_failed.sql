SELECT * FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND state = 'failed'
ORDER BY position
LIMIT $2
