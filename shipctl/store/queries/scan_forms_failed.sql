-- EasyPost made no form for intent $1 (error $2, $3): its labels are given back.
WITH released AS (
    DELETE FROM scan_form_labels WHERE scan_form_id = $1 RETURNING 1
)
UPDATE scan_forms
SET state = 'failed', error_code = $2, error_message = $3, updated_at = now()
WHERE id = $1
