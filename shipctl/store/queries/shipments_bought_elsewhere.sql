-- Of these references ($3) in mode $1 and store $2, those whose current label another run
-- than $4 bought (or refunded): a bulk run skips them (unless --rebuy superseded them first).
SELECT * FROM shipments
WHERE mode = $1 AND store = $2 AND reference = ANY($3::text[])
  AND superseded_at IS NULL
  AND state IN ('purchased', 'refunded')
  AND run_id IS DISTINCT FROM $4
