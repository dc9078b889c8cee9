-- The shipment options of a run's orders in state $2 (the quote: created), one row each.
SELECT options
FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND state = $2 AND options IS NOT NULL
