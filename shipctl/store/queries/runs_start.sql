INSERT INTO runs (kind, mode, input_path, input_sha256, options)
VALUES ($1, $2, $3, $4, $5)
RETURNING id
