SELECT * FROM shipments
WHERE superseded_at IS NULL
  AND (reference = $1 OR tracking_code = $1 OR easypost_shipment_id = $1)
ORDER BY id DESC
LIMIT 1
