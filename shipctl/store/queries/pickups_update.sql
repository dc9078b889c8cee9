-- What is known of pickup $1 now: its state, EasyPost id, and what was (or is being) bought.
UPDATE pickups
SET state = $2,
    easypost_pickup_id = coalesce($3, easypost_pickup_id),
    carrier = coalesce($4, carrier),
    service = coalesce($5, service),
    rate = coalesce($6, rate),
    confirmation = coalesce($7, confirmation),
    error_message = $8,
    updated_at = now()
WHERE id = $1
RETURNING *
