-- Indexes for `shipctl analytics`: every section reads the labels bought in a window of
-- purchased_at, so a covering index holds what the sections group and sum, and the scan
-- never visits the table; purchase failures and the tracker join get their own.
CREATE INDEX shipments_analytics_bought ON shipments (purchased_at)
    INCLUDE (id, state, mode, carrier, service, rate, tracking_code, est_delivery_date,
             from_state, from_country, to_state, to_country)
    WHERE state IN ('purchased', 'refunded');

CREATE INDEX shipments_analytics_failed ON shipments (created_at)
    INCLUDE (mode, carrier, requested_carrier, error_code, error_message)
    WHERE state = 'failed';

CREATE INDEX trackers_analytics ON trackers (tracking_code)
    INCLUDE (status, delivered_at, first_est_delivery_date, last_event_at);
