-- Of these references ($1), those whose current label another run than $2 bought: a bulk run
-- skips them (unless --rebuy superseded them first).
SELECT * FROM shipments
WHERE reference = ANY($1::text[])
  AND superseded_at IS NULL
  AND state IN ('purchased', 'refunded')
  AND run_id IS DISTINCT FROM $2
