-- demo seed: the run the demo shipments belong to, marked demo in its options ($1).
INSERT INTO runs (kind, input_path, options, mode, status)
VALUES ('bulk', 'shipctl demo seed', $1, 'simulated', 'running')
RETURNING id
