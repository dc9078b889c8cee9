INSERT INTO runs (kind, mode, input_path, input_sha256, options, store)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id
