-- shipctl schema: an order's shipment options (insurance, signature, Saturday delivery,
-- hazmat, carrier account, return label), kept with the order so a resumed run buys what
-- the file asked for. NULL: none chosen.
ALTER TABLE shipments ADD COLUMN options jsonb;
