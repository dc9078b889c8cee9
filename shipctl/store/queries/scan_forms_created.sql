-- Form $1 is EasyPost's scan form $2 (batch $3, file $4) with the tracking codes $5: labels of
-- the intent that are not on it are given back.
WITH released AS (
    DELETE FROM scan_form_labels
    WHERE scan_form_id = $1 AND NOT (tracking_code = ANY ($5::text[]))
    RETURNING 1
)
UPDATE scan_forms
SET state = 'created', easypost_scan_form_id = $2, easypost_batch_id = $3, form_url = $4,
    label_count = label_count - (SELECT count(*) FROM released),
    error_code = NULL, error_message = NULL, updated_at = now()
WHERE id = $1
