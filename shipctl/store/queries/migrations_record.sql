-- Migration $1 (named $2) is applied: recorded in the same transaction as its statements.
INSERT INTO schema_migrations (version, name) VALUES ($1, $2)
