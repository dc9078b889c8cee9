-- The intent to ask EasyPost for a scan form (mode $1, ship date $2, carrier $3, carrier
-- account $5, origin $4), written and committed before the request.
INSERT INTO scan_forms (mode, ship_date, carrier, origin, carrier_account_id)
VALUES ($1, $2, $3, $4, $5)
RETURNING id
