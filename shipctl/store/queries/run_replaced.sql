-- Labels a `--rebuy` run ($1) replaced: bought earlier for the references it has bought anew,
-- superseded since the run began, and not refunded: still valid and paid for.
SELECT old.*
FROM runs r
JOIN shipments cur ON cur.run_id = r.id AND cur.superseded_at IS NULL
JOIN shipments old ON old.mode = cur.mode AND old.store = cur.store
                  AND old.reference = cur.reference AND old.superseded_at >= r.started_at
WHERE r.id = $1 AND old.state = 'purchased' AND old.tracking_code IS NOT NULL
ORDER BY old.reference, old.id
LIMIT $2
