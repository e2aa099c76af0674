"""The store: one database (SQLite by default, PostgreSQL by URL), provenance on every row."""
