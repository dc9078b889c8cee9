-- demo seed --replace: remove the previous demo history; events and refunds go by cascade.
DELETE FROM trackers
WHERE tracking_code IN (
    SELECT tracking_code FROM shipments WHERE mode = 'simulated' AND reference LIKE 'DEMO-%'
);
DELETE FROM shipments WHERE mode = 'simulated' AND reference LIKE 'DEMO-%';
DELETE FROM runs WHERE mode = 'simulated' AND options @> '{"demo": true}';
