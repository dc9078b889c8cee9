-- A new (mode, store, reference) becomes a pending order of this run. An unfinished one
-- (pending, created, unknown, failed) is taken over by this run and its order fields are
-- refreshed from the file; its EasyPost shipment, if any, is kept: it is retrieved before
-- anything else happens to the order, and abandoned only once it is known not to be bought
-- (shipment_digest then differs from order_digest). A failed order is tried again ($35):
-- from `created` when it has a shipment, else from `pending`. A purchased one is left alone.
INSERT INTO shipments (
    reference, run_id, state, mode, source_rows, position,
    to_name, to_company, to_street1, to_street2, to_city, to_state, to_zip, to_country,
    to_phone, to_email,
    from_name, from_company, from_street1, from_street2, from_city, from_state, from_zip,
    from_country, from_phone,
    weight_oz, length_in, width_in, height_in, predefined_package,
    requested_carrier, requested_service, rate_rule, label_format, store, order_digest,
    items, customs_itn, options, to_residential_given
) VALUES (
    $1, $2, 'pending', $3, $4, $5,
    $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
    $16, $17, $18, $19, $20, $21, $22, $23, $24,
    $25, $26, $27, $28, $29,
    $30, $31, $32, $33, $34, $36,
    $37::jsonb, $38, $39, $40
)
ON CONFLICT (mode, store, reference) WHERE superseded_at IS NULL DO UPDATE
SET run_id = EXCLUDED.run_id,
    position = EXCLUDED.position,
    source_rows = EXCLUDED.source_rows,
    state = CASE
        WHEN shipments.state = 'failed' AND $35 AND shipments.easypost_shipment_id IS NULL
            THEN 'pending'
        WHEN shipments.state = 'failed' AND $35 THEN 'created'
        ELSE shipments.state END,
    error_code = CASE WHEN shipments.state = 'failed' AND NOT $35
                      THEN shipments.error_code END,
    error_message = CASE WHEN shipments.state = 'failed' AND NOT $35
                         THEN shipments.error_message END,
    updated_at = now(),
    to_name = EXCLUDED.to_name, to_company = EXCLUDED.to_company,
    to_street1 = EXCLUDED.to_street1, to_street2 = EXCLUDED.to_street2,
    to_city = EXCLUDED.to_city, to_state = EXCLUDED.to_state, to_zip = EXCLUDED.to_zip,
    to_country = EXCLUDED.to_country, to_phone = EXCLUDED.to_phone,
    to_email = EXCLUDED.to_email, to_residential_given = EXCLUDED.to_residential_given,
    from_name = EXCLUDED.from_name, from_company = EXCLUDED.from_company,
    from_street1 = EXCLUDED.from_street1, from_street2 = EXCLUDED.from_street2,
    from_city = EXCLUDED.from_city, from_state = EXCLUDED.from_state,
    from_zip = EXCLUDED.from_zip, from_country = EXCLUDED.from_country,
    from_phone = EXCLUDED.from_phone,
    weight_oz = EXCLUDED.weight_oz, length_in = EXCLUDED.length_in,
    width_in = EXCLUDED.width_in, height_in = EXCLUDED.height_in,
    predefined_package = EXCLUDED.predefined_package,
    requested_carrier = EXCLUDED.requested_carrier,
    requested_service = EXCLUDED.requested_service,
    rate_rule = EXCLUDED.rate_rule, label_format = EXCLUDED.label_format,
    order_digest = EXCLUDED.order_digest,
    items = EXCLUDED.items, customs_itn = EXCLUDED.customs_itn, options = EXCLUDED.options
WHERE shipments.state IN ('pending', 'created', 'unknown', 'failed')
