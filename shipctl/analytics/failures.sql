-- failures: failed purchases created in [$1, $2) by EasyPost error code, with the most
-- frequent message for each. The carrier filter falls back to the carrier asked for, since a
-- failed purchase may have none.
SELECT coalesce(s.error_code, 'unknown') AS error_code,
       count(*) AS failures,
       count(*)::float8 / sum(count(*)) OVER () AS share,
       mode() WITHIN GROUP (ORDER BY s.error_message) AS example_message
FROM shipments s
WHERE s.state = 'failed'
  AND s.created_at >= $1 AND s.created_at < $2
  AND ($3::text IS NULL OR lower(coalesce(s.carrier, s.requested_carrier)) = lower($3::text))
  AND ($4::text IS NULL OR report_mode(s.mode, s.reference) = $4::text)
  -- a dry run only quotes: its refusals are quote failures, not purchase failures
  AND NOT EXISTS (SELECT 1 FROM runs r
                  WHERE r.id = s.run_id AND r.options @> '{"dry_run": true}')
GROUP BY 1
ORDER BY failures DESC, error_code
