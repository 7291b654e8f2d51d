"""The tests' PostgreSQL server: bench/pgserver.py's, without durability
(fsync off), one per test worker (tests/conftest.py's `postgres` fixture)."""

from bench.pgserver import PostgresServer, postgres_problem

__all__ = ["PostgresServer", "postgres_problem"]
