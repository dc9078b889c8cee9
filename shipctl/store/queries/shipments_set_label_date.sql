-- The ship date ($2) the labels of run $1 are bought for, written before any is bought: the
-- run's orders without a label yet (an order bought already keeps the date it was bought for).
UPDATE shipments
SET label_date = $2, updated_at = now()
WHERE run_id = $1 AND superseded_at IS NULL
  AND state IN ('pending', 'created', 'unknown', 'failed')
  AND label_date IS DISTINCT FROM $2
