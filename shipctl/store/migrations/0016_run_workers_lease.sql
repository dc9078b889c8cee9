-- A run's workers, continued from 0011:
--
-- * run_workers.backend_pid: the PostgreSQL backend of the worker's lease connection, which
--   holds the run's shared advisory lock from the worker's start to its finish. A worker row
--   not finished whose backend holds no such lock any more died (killed, its connection
--   dropped): the first process to see that marks it finished then, and `died`
--   (store/claims.py `reap_workers`). A row from before this version has no backend: it is
--   taken for dead once nobody holds its run's lock.
ALTER TABLE run_workers ADD COLUMN backend_pid integer;
ALTER TABLE run_workers ADD COLUMN died boolean NOT NULL DEFAULT false;
