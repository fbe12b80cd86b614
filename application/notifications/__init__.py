"""Notification use cases: send, read, list, mark read, and the delivery worker."""
