"""Principals and their secrets, as Mesos's `--credentials` file.

The file is JSON (`{"credentials": [{"principal": "p", "secret": "s"}]}`,
Mesos's format) or plain text with one `principal secret` pair a line.
Secrets are compared in constant time and never logged or shown."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from offer.security.files import read_file

# gRPC metadata keys a client sends its identity in.
PRINCIPAL_KEY = "offer-principal"
SECRET_KEY = "offer-secret"


class CredentialsError(ValueError):
    """A credentials file that cannot be used; the message says why."""


@dataclass(frozen=True)
class Credentials:
    # principal -> sha256 of its secret: equal-length digests compare in
    # constant time whatever the secrets' lengths.
    _digests: Mapping[str, bytes]

    @classmethod
    def parse(cls, text: str, where: str = "credentials") -> Credentials:
        pairs: list[tuple[str, str]] = []
        stripped = text.strip()
        if stripped.startswith("{"):
            try:
                doc = json.loads(stripped)
                pairs = [(c["principal"], c["secret"]) for c in doc["credentials"]]
            except (ValueError, KeyError, TypeError) as err:
                raise CredentialsError(
                    f'{where}: expected {{"credentials": [{{"principal": ..., "secret": ...}}]}}'
                    f" ({type(err).__name__}: {err})"
                ) from None
        else:
            for number, line in enumerate(stripped.splitlines(), 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                parts = line.split()
                if len(parts) != 2:
                    raise CredentialsError(
                        f"{where}, line {number}: expected 'principal secret' (two words)"
                    )
                pairs.append((parts[0], parts[1]))
        for principal, secret in pairs:
            if not isinstance(principal, str) or not isinstance(secret, str):
                raise CredentialsError(f"{where}: principals and secrets must be strings")
            if not principal or not secret:
                raise CredentialsError(f"{where}: an empty principal or secret")
        if not pairs:
            raise CredentialsError(f"{where}: no credentials in it")
        return cls({p: _digest(s) for p, s in pairs})

    @classmethod
    def load(cls, path: str) -> Credentials:
        return cls.parse(read_file(path, "credentials file", CredentialsError).decode(), path)

    def check(self, principal: str, secret: str) -> bool:
        expected = self._digests.get(principal, _UNKNOWN)
        # Compared even for an unknown principal, so timing does not tell which exist.
        same = hmac.compare_digest(expected, _digest(secret))
        return same and principal in self._digests

    def __repr__(self) -> str:  # never the secrets
        return f"Credentials({len(self._digests)} principals)"


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


_UNKNOWN = _digest("\0no such principal\0")
