"""HTTPS for the master's HTTP port, with the certificate of its gRPC port."""

from __future__ import annotations

import os
import ssl
import tempfile
from pathlib import Path


def server_ssl_context(cert: bytes, key: bytes) -> ssl.SSLContext:
    """A server-side TLS context for this PEM certificate (chain) and key.

    `ssl` loads certificates from files only: they are written to a folder
    only this user can read (0700, files 0600), loaded, and removed at once.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory(prefix="offer-http-tls-") as folder:
        cert_path, key_path = Path(folder, "cert.pem"), Path(folder, "key.pem")
        for path, data in ((cert_path, cert), (key_path, key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        context.load_cert_chain(cert_path, key_path)
    return context
