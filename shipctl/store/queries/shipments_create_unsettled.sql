-- The latest `create` order of mode $1 and store $2 with the same data (order digest $3) that
-- an earlier `create` without --reference left with a shipment but no known outcome: its buy
-- was sent and the answer lost (`unknown`), or the process stopped between quote and answer
-- (`created`). A rerun of the same command resumes it instead of quoting anew.
SELECT s.* FROM shipments s
JOIN runs r ON r.id = s.run_id
WHERE s.mode = $1 AND s.store = $2 AND s.order_digest = $3
  AND s.superseded_at IS NULL AND r.kind = 'create'
  AND s.state IN ('created', 'unknown') AND s.easypost_shipment_id IS NOT NULL
ORDER BY s.id DESC
LIMIT 1
