-- `--rebuy`: the current label of these references becomes history; a new row takes its place.
UPDATE shipments
SET superseded_at = now(), updated_at = now()
WHERE reference = ANY($1::text[])
  AND superseded_at IS NULL
  AND state IN ('purchased', 'refunded')
