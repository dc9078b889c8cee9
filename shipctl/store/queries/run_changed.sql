-- Orders of run $1 whose label was bought for other data than the order now has: a buy
-- whose answer was lost, found bought after the file was edited.
SELECT * FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND state IN ('purchased', 'refunded')
  AND shipment_digest IS DISTINCT FROM order_digest
  AND shipment_digest IS NOT NULL AND order_digest IS NOT NULL
ORDER BY position
LIMIT 200
