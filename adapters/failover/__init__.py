"""The failover layer: one mechanism that puts a memory adapter behind a Redis adapter."""
