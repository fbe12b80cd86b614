"""Reading /metrics as a scraper reads it: one sample of the text exposition."""

from typing import Any

from prometheus_client import REGISTRY


def scraped(client: Any, name: str) -> float:
    """The value of the sample `name` (labels included, as exposed) in a scrape of the app's
    /metrics through `client` (a test client); 0 when absent."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def cache_entries(client: Any, cache: str) -> float:
    """The entries of every live BoundedCache named `cache` in this process."""
    return scraped(client, f'ballast_cache_entries{{cache="{cache}"}}')


def sampled(name: str, **labels: str) -> float:
    """The sample `name` with `labels` in this process's registry (an app run in process);
    0 when absent."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
