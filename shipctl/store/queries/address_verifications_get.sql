-- Stored verdicts for the address digests $1.
SELECT digest, outcome, corrected, residential, message, suggestion
FROM address_verifications
WHERE digest = ANY($1::text[])
