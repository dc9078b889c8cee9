-- EasyPost refused form $1's request because of labels $2 (shipment rows; tracking codes $3,
-- reasons $4, error codes $5, messages $6, the form each is on already $7): they are taken
-- off the intent and left off the forms for good. The refusal was definite, so no form
-- holds them through this intent; the rest of its labels stay on it.
WITH excluded AS (
    INSERT INTO scan_form_exclusions (shipment_id, scan_form_id, tracking_code, reason,
                                      error_code, message, on_scan_form)
    SELECT x.shipment_id, $1, x.tracking_code, x.reason, x.error_code, x.message, x.on_form
    FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         AS x (shipment_id, tracking_code, reason, error_code, message, on_form)
    ON CONFLICT (shipment_id) DO NOTHING
    RETURNING 1
), released AS (
    DELETE FROM scan_form_labels
    WHERE scan_form_id = $1 AND shipment_id = ANY ($2::bigint[])
    RETURNING 1
)
UPDATE scan_forms
SET label_count = label_count - (SELECT count(*) FROM released), updated_at = now()
WHERE id = $1
