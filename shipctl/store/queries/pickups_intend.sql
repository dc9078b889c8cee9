-- The intent to create a pickup, written before the request; NULL when the day already has
-- one for this carrier and origin.
INSERT INTO pickups (mode, pickup_date, reference, label_carrier, origin, shipment_id,
                     min_datetime, max_datetime, instructions, label_count)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT DO NOTHING
RETURNING *
