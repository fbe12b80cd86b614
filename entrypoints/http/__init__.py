"""How HTTP works here: the app class and its routing, the operation contract (shapes that
validate requests and write /openapi.json), the edge every request meets first, rate limits,
request reading, problem answers and cached bodies. It knows no feature: the routes of
entrypoints/api declare operations on it."""
