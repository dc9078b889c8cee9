-- Order $1's verification: outcome, corrected address as one line, residential flag.
UPDATE shipments
SET verification = $2, verified_address = $3, to_residential = $4, updated_at = now()
WHERE id = $1
