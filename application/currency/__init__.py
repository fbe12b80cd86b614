"""Currency use cases: rates and conversion, served from a table held in process memory."""
