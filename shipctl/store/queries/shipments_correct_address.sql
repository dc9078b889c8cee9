-- Order $1 ships to the corrected address ($2..$7) the user accepted; $8 it as one line,
-- $9 the order's new digest. The digest it had (the file's) is kept in uncorrected_digest.
-- An order with a shipment is corrected too: its shipment was made for the corrected
-- address when the file was first run with the correction accepted.
UPDATE shipments
SET to_street1 = $2, to_street2 = $3, to_city = $4, to_state = $5, to_zip = $6,
    to_country = $7, verification = 'corrected', verified_address = $8,
    uncorrected_digest = CASE WHEN order_digest = $9 THEN uncorrected_digest
                              ELSE order_digest END,
    order_digest = $9, updated_at = now()
WHERE id = $1 AND state IN ('pending', 'created', 'unknown')
