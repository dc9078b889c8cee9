-- Put labels (shipment rows $2, tracking codes $3) on form $1; a label already on a form or
-- asked onto one is left out (the primary key), so no label is ever asked onto two forms.
WITH claimed AS (
    INSERT INTO scan_form_labels (shipment_id, scan_form_id, tracking_code)
    SELECT label.shipment_id, $1, label.tracking_code
    FROM unnest($2::bigint[], $3::text[]) AS label (shipment_id, tracking_code)
    ON CONFLICT (shipment_id) DO NOTHING
    RETURNING shipment_id, tracking_code
), counted AS (
    UPDATE scan_forms SET label_count = (SELECT count(*) FROM claimed) WHERE id = $1
)
SELECT shipment_id, tracking_code FROM claimed
