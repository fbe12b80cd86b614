"""Implementations of the domain ports: memory, Redis, failover and the outside world."""
