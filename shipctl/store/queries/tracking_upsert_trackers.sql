-- One row per tracker, all in one statement. first_est_delivery_date keeps the first estimate
-- ever seen (on-time is judged against the promise); last_event_at never moves backwards.
INSERT INTO trackers AS t (
    tracking_code, carrier, tracker_id, status, status_detail, est_delivery_date,
    first_est_delivery_date, delivered_at, signed_by, public_url, last_event_at,
    checked_at, updated_at
)
SELECT u.tracking_code, u.carrier, u.tracker_id, u.status, u.status_detail, u.est_delivery_date,
       u.est_delivery_date, u.delivered_at, u.signed_by, u.public_url, u.last_event_at,
       now(), now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
            $7::timestamptz[], $8::text[], $9::text[], $10::timestamptz[])
     AS u (tracking_code, carrier, tracker_id, status, status_detail, est_delivery_date,
           delivered_at, signed_by, public_url, last_event_at)
ON CONFLICT (tracking_code) DO UPDATE SET
    carrier                 = COALESCE(EXCLUDED.carrier, t.carrier),
    tracker_id              = COALESCE(EXCLUDED.tracker_id, t.tracker_id),
    status                  = EXCLUDED.status,
    status_detail           = EXCLUDED.status_detail,
    est_delivery_date       = COALESCE(EXCLUDED.est_delivery_date, t.est_delivery_date),
    first_est_delivery_date = COALESCE(t.first_est_delivery_date, EXCLUDED.est_delivery_date),
    delivered_at            = COALESCE(EXCLUDED.delivered_at, t.delivered_at),
    signed_by               = COALESCE(EXCLUDED.signed_by, t.signed_by),
    public_url              = COALESCE(EXCLUDED.public_url, t.public_url),
    last_event_at           = GREATEST(t.last_event_at, EXCLUDED.last_event_at),
    checked_at              = EXCLUDED.checked_at,
    updated_at              = EXCLUDED.updated_at
