"""Authentication use cases: login, refresh, logout, revoke, verify, users, events."""
