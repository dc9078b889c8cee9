SELECT * FROM shipments
WHERE reference = ANY($1::text[]) AND superseded_at IS NULL
ORDER BY reference
