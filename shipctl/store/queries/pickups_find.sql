-- A pickup of mode $1 by its EasyPost id or its number in shipctl.
SELECT * FROM pickups
WHERE mode = $1 AND (easypost_pickup_id = $2 OR id::text = $2)
