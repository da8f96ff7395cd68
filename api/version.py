"""The version of this code, as installed (its package metadata)."""

from importlib.metadata import PackageNotFoundError, version


def api_version() -> str:
    try:
        return version("tall-evidence")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"
