SELECT * FROM shipments WHERE run_id = $1 AND superseded_at IS NULL ORDER BY position, id
