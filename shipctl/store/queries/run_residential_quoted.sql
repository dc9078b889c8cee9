-- Quoted orders of run $1 to residential addresses (as the order says, else as verification
-- found), by carrier (UPS and FedEx add a residential surcharge).
SELECT carrier, count(*)::int AS orders
FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND state = 'created'
  AND coalesce(to_residential_given, to_residential)
GROUP BY carrier
ORDER BY carrier
