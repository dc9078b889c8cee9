-- The sweep lock: a session-level advisory lock, released when the session ends (even by kill -9).
SELECT pg_try_advisory_lock($1)
