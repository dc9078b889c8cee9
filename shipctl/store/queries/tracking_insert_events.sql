-- Every event of a batch in one statement; an event already stored (same code, time, status
-- and message) is skipped, so a rerun adds nothing. Returns the codes of the rows added.
INSERT INTO tracking_events (
    tracking_code, occurred_at, status, status_detail, message, city, state, zip, country
)
SELECT *
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::text[])
ON CONFLICT (tracking_code, occurred_at, status, message) DO NOTHING
RETURNING tracking_code
