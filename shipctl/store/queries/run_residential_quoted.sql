-- Quoted orders of run $1 that verification found residential, by carrier (UPS and FedEx
-- add a residential surcharge).
SELECT carrier, count(*)::int AS orders
FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND state = 'created' AND to_residential
GROUP BY carrier
ORDER BY carrier
