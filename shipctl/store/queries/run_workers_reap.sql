-- Workers that died without finishing: finished now, as far as anyone can tell, and `died`.
-- A worker holds its run's shared advisory lock ($1, run id) on its lease connection from its
-- start to its finish, so one whose backend still holds it is at work, whatever else it is
-- doing; only the lock's absence counts as death (a backend pid reused by another worker of
-- the same run only keeps a dead one alive longer, which is the safe side). A row from before
-- the backend was kept (version 16) is at work while anyone holds its run's lock. Advisory
-- locks are per database, but pg_locks lists the whole server's: only this database's count.
UPDATE run_workers w
SET finished_at = now(), died = true
WHERE w.finished_at IS NULL
  AND NOT EXISTS (
      SELECT 1
      FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1::int::oid AND l.objid = w.run_id::int::oid AND l.objsubid = 2
        AND (w.backend_pid IS NULL OR l.pid = w.backend_pid)
  )
