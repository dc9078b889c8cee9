"""PostgreSQL storage: the only package that talks to asyncpg."""
