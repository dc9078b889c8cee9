-- Tell the workers listening on the pace channel that a worker's part changed ($1: account,
-- mode and worker): they heartbeat at once rather than at their next beat.
SELECT pg_notify('shipctl_pace', $1)
