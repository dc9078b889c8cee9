-- demo seed: whether this database user may skip the foreign-key triggers while loading.
SELECT rolsuper FROM pg_roles WHERE rolname = current_user
