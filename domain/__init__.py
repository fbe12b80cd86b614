"""Entities, value objects, domain errors and ports. Pure Python: no I/O, no framework."""
