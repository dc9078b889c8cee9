SELECT * FROM shipments WHERE id = ANY($1::bigint[]) ORDER BY position
