-- The file's orders of run $1, in input order (a second worker on the run writes the same).
INSERT INTO run_orders (run_id, position, reference)
SELECT $1, position, reference
FROM unnest($2::integer[], $3::text[]) AS o (position, reference)
ON CONFLICT (run_id, position) DO NOTHING
