"""The directory prometheus-client's multiprocess mode shares between `serve`'s workers."""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def multiprocess_metrics(workers: int) -> Iterator[None]:
    """With several workers, give them a fresh directory (set before they start, since
    prometheus-client reads it at import) and remove it when they are gone. An operator's
    own PROMETHEUS_MULTIPROC_DIR is used instead, emptied of the previous run's files."""
    if workers <= 1:
        yield
        return
    own = os.environ.get(MULTIPROC_ENV)
    if own:
        for stale in Path(own).glob("*.db"):
            stale.unlink()
        yield
        return
    directory = tempfile.mkdtemp(prefix="ballast-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)
