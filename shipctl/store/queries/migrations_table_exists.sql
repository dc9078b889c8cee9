-- Whether this database has the migrations' bookkeeping table yet (a new one has not).
SELECT to_regclass('schema_migrations') IS NOT NULL
