"""The shared server: users, API tokens and the HTTP API over the store."""
