SELECT * FROM shipments
WHERE mode = $1 AND store = $2 AND reference = ANY($3::text[]) AND superseded_at IS NULL
