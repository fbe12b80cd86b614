"""Composition root, HTTP app and command line."""
