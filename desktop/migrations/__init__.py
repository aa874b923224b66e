"""Alembic migrations shipped inside the package and applied when a database is opened."""

# The newest revision. Opening an up-to-date database compares against this without importing Alembic
# (which costs start-up time); a test keeps it equal to Alembic's own head.
SCHEMA_HEAD = "0009"
