-- Analytics without a join: every shipment carries a copy of what its tracker says (status,
-- delivery time, first estimate, last scan), so each report section is one range scan of a
-- covering index on purchased_at instead of a hash join against every tracker ever stored.
-- Triggers keep the copy in step with trackers whoever writes them (the tracking sweep,
-- tests, a hand-run UPDATE); `demo seed` writes it directly with the triggers off.
ALTER TABLE shipments
    ADD COLUMN tracking_status         text,
    ADD COLUMN delivered_at            timestamptz,
    ADD COLUMN first_est_delivery_date timestamptz,
    ADD COLUMN last_event_at           timestamptz;

-- The old window index goes before the backfill, which would otherwise update it row by row;
-- the tracker join index is not needed any more, and every tracker write paid for it.
DROP INDEX shipments_analytics_bought;
DROP INDEX trackers_analytics;

UPDATE shipments s
SET tracking_status = t.status,
    delivered_at = t.delivered_at,
    first_est_delivery_date = t.first_est_delivery_date,
    last_event_at = t.last_event_at
FROM trackers t
WHERE t.tracking_code = s.tracking_code;

-- Trackers written in one statement are copied in one join (transition tables), so a sweep
-- batch costs one UPDATE, not one per tracker; unchanged copies are not rewritten.
CREATE FUNCTION shipments_copy_trackers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shipments s
    SET tracking_status = t.status,
        delivered_at = t.delivered_at,
        first_est_delivery_date = t.first_est_delivery_date,
        last_event_at = t.last_event_at
    FROM written_trackers t
    WHERE s.tracking_code = t.tracking_code
      AND (s.tracking_status, s.delivered_at, s.first_est_delivery_date, s.last_event_at)
          IS DISTINCT FROM (t.status, t.delivered_at, t.first_est_delivery_date, t.last_event_at);
    RETURN NULL;
END
$$;

CREATE TRIGGER trackers_copy_inserted AFTER INSERT ON trackers
    REFERENCING NEW TABLE AS written_trackers
    FOR EACH STATEMENT EXECUTE FUNCTION shipments_copy_trackers();
CREATE TRIGGER trackers_copy_updated AFTER UPDATE ON trackers
    REFERENCING NEW TABLE AS written_trackers
    FOR EACH STATEMENT EXECUTE FUNCTION shipments_copy_trackers();

-- A deleted tracker leaves its shipments untracked, as the old LEFT JOIN would have seen them.
CREATE FUNCTION shipments_forget_trackers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shipments s
    SET tracking_status = NULL,
        delivered_at = NULL,
        first_est_delivery_date = NULL,
        last_event_at = NULL
    FROM deleted_trackers t
    WHERE s.tracking_code = t.tracking_code
      AND (s.tracking_status, s.delivered_at, s.first_est_delivery_date, s.last_event_at)
          IS DISTINCT FROM (NULL, NULL, NULL, NULL);
    RETURN NULL;
END
$$;

CREATE TRIGGER trackers_forget_deleted AFTER DELETE ON trackers
    REFERENCING OLD TABLE AS deleted_trackers
    FOR EACH STATEMENT EXECUTE FUNCTION shipments_forget_trackers();

-- A shipment that gets a tracking code whose tracker is already stored takes its copy. A new
-- row without a stored tracker keeps what its writer gave (demo seed writes both sides).
CREATE FUNCTION shipments_read_tracker() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    tracker trackers%ROWTYPE;
BEGIN
    SELECT * INTO tracker FROM trackers WHERE tracking_code = NEW.tracking_code;
    IF FOUND OR TG_OP = 'UPDATE' THEN
        NEW.tracking_status := tracker.status;
        NEW.delivered_at := tracker.delivered_at;
        NEW.first_est_delivery_date := tracker.first_est_delivery_date;
        NEW.last_event_at := tracker.last_event_at;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER shipments_read_tracker_inserted BEFORE INSERT ON shipments
    FOR EACH ROW WHEN (NEW.tracking_code IS NOT NULL)
    EXECUTE FUNCTION shipments_read_tracker();
CREATE TRIGGER shipments_read_tracker_updated BEFORE UPDATE OF tracking_code ON shipments
    FOR EACH ROW WHEN (NEW.tracking_code IS DISTINCT FROM OLD.tracking_code)
    EXECUTE FUNCTION shipments_read_tracker();

-- Every section reads the labels bought in a window of purchased_at: this index holds all it
-- groups, sums and judges, so the scan is index-only. Built after the backfill, in one pass.
CREATE INDEX shipments_analytics_bought ON shipments (purchased_at)
    INCLUDE (id, state, mode, carrier, service, rate, est_delivery_date,
             from_state, from_country, to_state, to_country,
             tracking_status, delivered_at, first_est_delivery_date, last_event_at)
    WHERE state IN ('purchased', 'refunded');
