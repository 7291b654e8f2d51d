"""Reading the files security flags name (credentials, ACLs, certificates),
with an error a person can act on."""

from __future__ import annotations

from pathlib import Path


def read_file(path: str, what: str, error: type[ValueError]) -> bytes:
    """The bytes of `path`; `error` ("cannot read <what> <path>: <why>") if unreadable."""
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise error(f"cannot read {what} {path}: {err.strerror}") from None
