"""The Starlette application."""
