"""In-memory adapters: the embedded default, and the fallbacks behind Redis. All bounded."""
