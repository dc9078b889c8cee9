-- The intent to ask EasyPost for a scan form (mode $1, ship date $2, carrier $3, origin $4),
-- written and committed before the request.
INSERT INTO scan_forms (mode, ship_date, carrier, origin)
VALUES ($1, $2, $3, $4)
RETURNING id
