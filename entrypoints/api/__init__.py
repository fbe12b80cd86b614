"""What the API offers: each module declares its operations (entrypoints/http/contract.py)
and the handlers that call the use cases; `app.create_app` puts them together. How HTTP
works here (routing, validation, the edge, problems, OpenAPI) is entrypoints/http's."""
