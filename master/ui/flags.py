"""The web UI's command-line flags and the settings they make."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from offer.security.server import read_pem


@dataclass(frozen=True)
class UiConfig:
    # The CA that signed the frameworks' control API certificates (their
    # --control-tls-cert): set, the UI dials every control API over TLS.
    control_tls_ca: bytes | None = None


def add_ui_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("web UI", "see docs/ui.md")
    group.add_argument(
        "--control-tls-ca",
        metavar="PEM",
        help="the CA that signed offer-service's and offer-batch's --control-tls-cert: the "
        "web UI then reaches their control APIs over TLS (without it, in clear)",
    )


def ui_config(args: argparse.Namespace) -> UiConfig:
    """The UI's settings from the flags `add_ui_flags` added; ServerSecurityError
    naming the flag if its file cannot be read."""
    return UiConfig(control_tls_ca=read_pem(args.control_tls_ca, "--control-tls-ca"))
