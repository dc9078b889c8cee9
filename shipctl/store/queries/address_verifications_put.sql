-- One verdict ($1 digest); a later verdict for the same address replaces it.
INSERT INTO address_verifications (digest, mode, outcome, corrected, residential, message,
                                   suggestion)
VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
ON CONFLICT (digest) DO UPDATE
SET outcome = excluded.outcome, corrected = excluded.corrected,
    residential = excluded.residential, message = excluded.message,
    suggestion = excluded.suggestion, verified_at = now()
