"""A loopback EWS server backed by SQLite that the unmodified exchangelib client talks to."""
