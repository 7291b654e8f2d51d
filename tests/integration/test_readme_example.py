"""The README's smallest framework, as printed there, runs its task to the
end against a real cluster and leaves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.cluster import Cluster

README = Path(__file__).parent.parent.parent / "README.md"


def test_the_readme_framework_runs_as_printed(running_cluster: Cluster) -> None:
    [code] = [
        block
        for block in re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
        if "class Once(Scheduler)" in block
    ]
    code = code.replace('master="127.0.0.1:5050"', f'master="{running_cluster.address}"')
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("hello FINISHED"), done.stdout
    assert "hello RUNNING" in done.stdout
    [framework] = running_cluster.list("frameworks")
    assert framework.info.name == "once" and framework.removed
