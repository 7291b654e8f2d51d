"""The browser's own host: a network namespace of the test's making.

Chromium drops its requests in flight with ERR_NETWORK_CHANGED whenever an
interface appears or goes on its host, and every container a Docker engine
starts or stops adds or removes one (a veth). Beside other tests starting
containers, pages failed to load that way. In a namespace of its own the
browser sees only its own two interfaces, which never change: it reaches
the master over a bridge on the project's test network (10.231.N.0/24,
offer/localcluster/network.py), on whose address the master serves HTTP.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from offer.localcluster.network import Host, Network
from tests.support.multihost import worker_index

# Set indexes apart from the multi-host tests' (10 + worker).
INDEX_BASE = 200


def browser_host_problem() -> str:
    """Why the browser cannot have a namespace here ("" if it can)."""
    if os.geteuid() != 0:
        return "a network namespace needs root"
    missing = [tool for tool in ("ip", "nsenter") if shutil.which(tool) is None]
    return f"missing {', '.join(missing)} (Debian: iproute2, util-linux)" if missing else ""


@dataclass
class BrowserHost:
    network: Network

    @classmethod
    def up(cls) -> BrowserHost:
        network = Network(INDEX_BASE + worker_index() - 10, 1)
        network.create()
        return cls(network)

    def down(self) -> None:
        self.network.destroy()

    @property
    def host(self) -> Host:
        return self.network.hosts[0]

    @property
    def master_address(self) -> str:
        """Where the master serves HTTP for the browser: the bridge's address."""
        return self.network.gateway

    def launcher(self, chromium: str, folder: Path) -> Path:
        """An executable that starts chromium in the namespace, for
        Playwright's executable_path (it drives the browser through pipes,
        which no namespace stops)."""
        script = folder / "chromium-in-netns"
        command = " ".join(self.host.argv([chromium]))
        script.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return script


def ui_address(browser_host: BrowserHost | None) -> str:
    """Where a master serves its UI so that the browser reaches it."""
    return browser_host.master_address if browser_host else "127.0.0.1"
