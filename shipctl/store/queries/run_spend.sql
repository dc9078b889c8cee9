-- Orders of a run in state $2 by carrier and service: the quote (created) or the spend (purchased).
SELECT coalesce(carrier, '?') AS carrier, coalesce(service, '?') AS service,
       count(*) AS orders, coalesce(sum(rate), 0) AS total
FROM shipments
WHERE run_id = $1 AND superseded_at IS NULL AND state = $2
GROUP BY 1, 2
ORDER BY 1, 2
