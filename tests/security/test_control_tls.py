"""TLS on the frameworks' control APIs, as on the master: offerctl verifies
offer-service with the CA it uses for the master (real processes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.security.test_auth import ctl, run
from tests.support.cluster import Cluster, free_port
from tests.support.tls import make_pki


def test_control_api_over_tls(cluster: Cluster, tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    server = ["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)]
    cluster.client_env = {"OFFER_TLS_CA": str(pki.ca)}
    cluster.security = cluster.security.__class__(tls_ca=pki.ca.read_bytes())
    cluster.start_master(*server)
    cluster.start_service(
        "--control-tls-cert", str(pki.server_cert), "--control-tls-key", str(pki.server_key)
    )
    service = cluster.framework_addresses["service"]
    listed = ctl(cluster, "app", "list", "--service", service, OFFER_TLS_CA=str(pki.ca))
    assert listed.returncode == 0, listed.stderr
    plaintext = ctl(cluster, "app", "list", "--service", service)
    assert plaintext.returncode == 1, plaintext.stdout


def test_control_tls_flags_are_checked(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    common = ["--master", f"127.0.0.1:{free_port()}", "--port", str(free_port())]
    alone = run(
        Cluster(tmp_path),
        "frameworks.service.cli",
        *common,
        "--db",
        f"sqlite:///{tmp_path / 'service.db'}",
        "--control-tls-cert",
        str(pki.server_cert),
    )
    assert alone.returncode != 0
    assert "--control-tls-cert and --control-tls-key go together" in alone.stderr
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "frameworks.batch.cli",
            *common,
            "--db",
            f"sqlite:///{tmp_path / 'batch.db'}",
            "--control-tls-cert",
            str(tmp_path / "nope.pem"),
            "--control-tls-key",
            str(pki.server_key),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode != 0
    assert f"cannot read --control-tls-cert file {tmp_path / 'nope.pem'}" in missing.stderr
