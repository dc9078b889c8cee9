-- What the last worker to leave the account knew of its limit, if it left within $3 seconds.
SELECT state, pace, "window" FROM carrier_pace_accounts
WHERE account = $1 AND mode = $2 AND seen_at > now() - make_interval(secs => $3)
