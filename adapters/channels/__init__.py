"""Delivery channels of notifications: log, webhook, email."""
