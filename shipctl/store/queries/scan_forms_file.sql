-- EasyPost's scan form $1 has its file now, at $2.
UPDATE scan_forms SET form_url = $2, updated_at = now() WHERE easypost_scan_form_id = $1
