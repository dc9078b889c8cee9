-- The carrier accounts ($2) of bought labels (shipment rows $1) whose account was not
-- stored, as EasyPost's shipments show them.
UPDATE shipments s
SET carrier_account_id = x.account
FROM unnest($1::bigint[], $2::text[]) AS x (shipment_id, account)
WHERE s.id = x.shipment_id AND s.carrier_account_id IS NULL
