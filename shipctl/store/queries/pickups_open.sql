-- The day's pickup (mode $1, date $2) of carrier $3's labels from origin $4 that is not
-- cancelled or failed, if there is one: at most one, by pickups_current.
SELECT * FROM pickups
WHERE mode = $1 AND pickup_date = $2 AND label_carrier = $3 AND origin = $4
  AND state NOT IN ('canceled', 'failed')
