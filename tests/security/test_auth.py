"""Authentication, TLS and where the master may listen, with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from offer.security.client import ClientSecurity
from offer.v1 import scheduler_pb2, scheduler_pb2_grpc
from tests.support.cluster import Cluster, free_port, wait_for
from tests.support.tls import make_pki

SECRET = "test-secret"


def run(cluster: Cluster, module: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A command of this project with exactly this identity in its environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OFFER_")}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**clean, **env},
    )


def ctl(cluster: Cluster, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(cluster, "offer.ctl.cli", "--master", cluster.address, *args, **env)


def subscribe(cluster: Cluster, security: ClientSecurity) -> grpc.StatusCode:
    """The code a bare Subscribe gets (OK once its first event arrives)."""
    with security.channel(cluster.address) as channel:
        stream = scheduler_pb2_grpc.SchedulerStub(channel).Subscribe(
            scheduler_pb2.SubscribeRequest(), timeout=10
        )
        try:
            next(stream)
            return grpc.StatusCode.OK
        except grpc.RpcError as err:
            return err.code()  # type: ignore[no-any-return]
        finally:
            stream.cancel()


def test_every_service_refuses_missing_or_wrong_credentials(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.start_secure_master()
    # Operator
    missing = ctl(cluster, "agents")
    assert missing.returncode == 1 and "requires credentials" in missing.stderr
    wrong = ctl(cluster, "agents", OFFER_PRINCIPAL="test", OFFER_SECRET="guess")
    assert wrong.returncode == 1 and "wrong principal or secret" in wrong.stderr
    unknown = ctl(cluster, "agents", OFFER_PRINCIPAL="mallory", OFFER_SECRET=SECRET)
    assert unknown.returncode == 1 and "wrong principal or secret" in unknown.stderr
    assert ctl(cluster, "agents", OFFER_PRINCIPAL="test", OFFER_SECRET=SECRET).returncode == 0
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    by_file = ctl(cluster, "--principal", "test", "--secret-file", str(secret_file), "agents")
    assert by_file.returncode == 0, by_file.stderr
    # Scheduler
    assert subscribe(cluster, ClientSecurity()) == grpc.StatusCode.UNAUTHENTICATED
    assert subscribe(cluster, ClientSecurity("test", "guess")) == grpc.StatusCode.UNAUTHENTICATED
    assert subscribe(cluster, ClientSecurity("test", SECRET)) == grpc.StatusCode.OK
    # Agent: a refused agent stops and says why.
    agent = run(
        cluster,
        "agent.cli",
        "--master",
        cluster.address,
        "--work-dir",
        str(tmp_path / "a"),
        OFFER_PRINCIPAL="test",
        OFFER_SECRET="guess",
    )
    assert agent.returncode == 1 and "wrong principal or secret" in agent.stderr
    cluster.start_agent()  # with the cluster's (right) identity
    # A framework's own control API, with its own credentials.
    cluster.start_batch("--control-credentials", str(cluster.root / "credentials"))
    assert cluster.job("list").returncode == 0
    refused = run(
        cluster,
        "offer.ctl.cli",
        "job",
        "list",
        "--batch",
        cluster.batch_address,
        OFFER_PRINCIPAL="test",
        OFFER_SECRET="guess",
    )
    assert refused.returncode == 1 and "wrong principal or secret" in refused.stderr
    for log in cluster.root.glob("*.log"):
        assert SECRET not in log.read_text(), f"{log.name} shows the secret"


def test_the_master_listens_beyond_loopback_only_when_told(cluster: Cluster) -> None:
    port = str(free_port())
    db = f"sqlite:///{cluster.root / 'm.db'}"
    refused = run(cluster, "master.cli", "--host", "0.0.0.0", "--port", port, "--db", db)
    assert refused.returncode == 2
    assert "lets anyone on the network in" in refused.stderr
    assert "--insecure" in refused.stderr
    log = cluster.root / "insecure.log"
    with log.open("w") as out:
        args = ["--host", "0.0.0.0", "--port", port, "--db", db, "--insecure"]
        master = subprocess.Popen(
            [sys.executable, "-m", "master.cli", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "security: authentication OFF" in log.read_text(), 20, "the master")
    finally:
        master.terminate()
        master.wait(10)


@pytest.mark.parametrize("mutual", [False, True], ids=["tls", "mutual-tls"])
def test_tls_and_mutual_tls(cluster: Cluster, tmp_path: Path, mutual: bool) -> None:
    pki = make_pki(tmp_path)
    server = ["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)]
    client_env = {"OFFER_TLS_CA": str(pki.ca)}
    if mutual:
        server += ["--tls-client-ca", str(pki.ca)]
        client_env |= {"OFFER_TLS_CERT": str(pki.client_cert), "OFFER_TLS_KEY": str(pki.client_key)}
    cluster.client_env = client_env
    cluster.security = ClientSecurity(
        tls_ca=pki.ca.read_bytes(),
        tls_cert=pki.client_cert.read_bytes() if mutual else None,
        tls_key=pki.client_key.read_bytes() if mutual else None,
    )
    cluster.start_master(*server)
    cluster.start_agent()  # over TLS, from the environment
    listed = ctl(cluster, "agents", **client_env)
    assert listed.returncode == 0 and "host0" in listed.stdout, listed.stderr
    plaintext = ctl(cluster, "agents")
    assert plaintext.returncode == 1 and "cannot reach the master" in plaintext.stderr
    if mutual:
        no_cert = ctl(cluster, "agents", OFFER_TLS_CA=str(pki.ca))
        assert no_cert.returncode == 1
