-- Claim up to $3 unfinished orders of run $1 for this process: those in states $2, and
-- those in states $5 last changed before $6 (when this phase began: an order this worker
-- left `unknown` is not claimed again by it in the same phase). The advisory lock is held
-- by the claiming connection, so a process that dies releases its claims at once. Locks
-- this session already holds ($4) are left out: advisory locks are re-entrant. Candidates
-- another worker holds are skipped; the outer LIMIT stops locking at $3, so a worker never
-- takes more than it asked for (the rest stays for the other workers of the run).
WITH candidates AS (
    SELECT id FROM shipments
    WHERE run_id = $1 AND superseded_at IS NULL
      AND (state = ANY($2::text[]) OR (state = ANY($5::text[]) AND updated_at < $6))
      AND NOT (id = ANY($4::bigint[]))
    ORDER BY position
    LIMIT $3 * 4
)
SELECT id FROM candidates WHERE pg_try_advisory_lock(id) LIMIT $3
