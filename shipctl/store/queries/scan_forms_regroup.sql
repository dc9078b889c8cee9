-- Labels $2 (shipment rows) of form $1 belong to other carrier accounts on EasyPost ($3):
-- their accounts are corrected and they are taken off the intent (EasyPost refused it, so
-- no form holds them), to be grouped again with their own account's labels.
WITH corrected AS (
    UPDATE shipments s
    SET carrier_account_id = x.account, updated_at = now()
    FROM unnest($2::bigint[], $3::text[]) AS x (shipment_id, account)
    WHERE s.id = x.shipment_id
    RETURNING 1
), released AS (
    DELETE FROM scan_form_labels
    WHERE scan_form_id = $1 AND shipment_id = ANY ($2::bigint[])
    RETURNING 1
)
UPDATE scan_forms
SET label_count = label_count - (SELECT count(*) FROM released), updated_at = now()
WHERE id = $1
