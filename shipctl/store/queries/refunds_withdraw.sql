-- EasyPost has no refund of shipment $1's label: the `requested` note is taken back, to the
-- status before it ($2, e.g. `rejected`) or, when there was none, removed.
WITH restored AS (
    UPDATE refunds SET status = $2, updated_at = now()
    WHERE shipment_id = $1 AND status = 'requested' AND $2::text IS NOT NULL
)
DELETE FROM refunds WHERE shipment_id = $1 AND status = 'requested' AND $2::text IS NULL
