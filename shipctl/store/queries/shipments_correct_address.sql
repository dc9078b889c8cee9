-- Order $1 ships to the corrected address ($2..$8) the user accepted; $9 its new digest.
UPDATE shipments
SET to_street1 = $2, to_street2 = $3, to_city = $4, to_state = $5, to_zip = $6,
    to_country = $7, order_digest = $9, verification = 'corrected', verified_address = $8,
    updated_at = now()
WHERE id = $1 AND state = 'pending'
