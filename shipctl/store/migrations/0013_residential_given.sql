-- The destination's residential flag as the order gives it (its file's `residential`
-- column), kept apart from what verification found (to_residential): the order's own flag is
-- part of the order and of its digest, and wins over verification's.
ALTER TABLE shipments ADD COLUMN to_residential_given boolean;
