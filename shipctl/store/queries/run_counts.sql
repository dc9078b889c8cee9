SELECT state, count(*) AS orders, coalesce(sum(rate), 0) AS total
FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL
GROUP BY state
