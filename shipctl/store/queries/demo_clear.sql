-- demo seed --replace: remove the previous demo history; events and refunds go by cascade.
-- The shipments go first, so the trackers' delete trigger (0003) has no copy left to clear.
WITH gone AS (
    DELETE FROM shipments WHERE mode = 'simulated' AND reference LIKE 'DEMO-%'
    RETURNING tracking_code
)
DELETE FROM trackers WHERE tracking_code IN (SELECT tracking_code FROM gone);
DELETE FROM runs WHERE mode = 'simulated' AND options @> '{"demo": true}';
