-- The pickups of mode $1 (date $2; NULL: every day), newest day first.
SELECT * FROM pickups
WHERE mode = $1 AND ($2::date IS NULL OR pickup_date = $2)
ORDER BY pickup_date DESC, id
