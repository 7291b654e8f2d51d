"""A client's security flags, each defaulting to its environment variable
(offer.security.client reads them). Apart from the client itself, which
needs grpc, so that a command's parser (and its --help) loads no grpc."""

from __future__ import annotations

import argparse
import os


def add_client_flags(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    group = parser.add_argument_group(
        "security", "how this client proves who it is (see docs/security.md)"
    )
    group.add_argument(
        "--principal",
        default=env("OFFER_PRINCIPAL", ""),
        help="principal to authenticate as (default: $OFFER_PRINCIPAL)",
    )
    group.add_argument(
        "--secret-file",
        default=env("OFFER_SECRET_FILE"),
        metavar="FILE",
        help="file holding the principal's secret (default: $OFFER_SECRET_FILE; "
        "$OFFER_SECRET may hold the secret itself)",
    )
    group.add_argument(
        "--tls-ca",
        default=env("OFFER_TLS_CA"),
        metavar="PEM",
        help="CA certificate to verify the master with; turns TLS on (default: $OFFER_TLS_CA)",
    )
    group.add_argument(
        "--tls-cert",
        default=env("OFFER_TLS_CERT"),
        metavar="PEM",
        help="client certificate for mutual TLS (default: $OFFER_TLS_CERT)",
    )
    group.add_argument(
        "--tls-key",
        default=env("OFFER_TLS_KEY"),
        metavar="PEM",
        help="the client certificate's key (default: $OFFER_TLS_KEY)",
    )
