-- addresses: labels bought in [$1, $2) and not refunded, by destination kind (residential or
-- commercial, as the order said or else verification found; unknown when neither did) and
-- verification outcome (`bulk --verify`: verified, corrected, or not verified), with spend
-- and share.
-- $3 carrier (NULL = all), $4 mode (NULL = all).
WITH labels AS (
    SELECT CASE coalesce(s.to_residential_given, s.to_residential)
                WHEN true THEN 'residential' WHEN false THEN 'commercial'
                ELSE 'unknown' END AS destination,
           coalesce(s.verification, 'not verified') AS verification,
           s.rate
    FROM shipments s
    WHERE s.purchased_at >= $1 AND s.purchased_at < $2
      AND s.state = 'purchased'
      AND ($3::text IS NULL OR lower(s.carrier) = lower($3::text))
      AND ($4::text IS NULL OR s.mode = $4::text)
)
SELECT destination, verification, count(*)::bigint AS labels,
       coalesce(sum(rate), 0) AS spend,
       count(*)::float8 / sum(count(*)) OVER () AS share
FROM labels
GROUP BY destination, verification
ORDER BY labels DESC, destination, verification
