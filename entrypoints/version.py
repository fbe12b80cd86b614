"""Ballast's version, as installed (health, metrics, the OpenAPI document, --version)."""

from importlib.metadata import PackageNotFoundError, version


def ballast_version() -> str:
    try:
        return version("ballast")
    except PackageNotFoundError:
        return "0+unknown"
