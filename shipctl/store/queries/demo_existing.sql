-- demo seed: how many demo shipments are stored already (they are simulated, DEMO-…).
SELECT count(*) FROM shipments WHERE mode = 'simulated' AND reference LIKE 'DEMO-%'
