"""Helpers every kind of test shares (servers, clients, waiting, notification factories).
Test modules import from here and from other support modules, never from one another."""
