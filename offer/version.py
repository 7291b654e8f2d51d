"""The installed version of the project, as every command's --version and the
master's status report it."""

from __future__ import annotations

import functools
from importlib import metadata


@functools.cache
def version() -> str:
    try:
        return metadata.version("offer")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"
