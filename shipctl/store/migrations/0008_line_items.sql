-- shipctl schema, version 8: an order's line items, kept with it.
--
-- * items: the order's line items as JSON ([{name, sku, quantity, value, currency,
--   weight_oz, hs_tariff_number, origin_country, description}]); an international label
--   declares them to customs, so a resumed run needs them.
-- * customs_itn: the AES ITN of an export that needs one.

ALTER TABLE shipments
    ADD COLUMN items       jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN customs_itn text;
