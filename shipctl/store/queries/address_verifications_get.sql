-- Stored verdicts for the address digests $1, from the last 90 days: addresses change (new
-- buildings, renamed streets), so an older verdict is asked of EasyPost again.
SELECT digest, outcome, corrected, residential, message, suggestion
FROM address_verifications
WHERE digest = ANY($1::text[]) AND verified_at > now() - interval '90 days'
