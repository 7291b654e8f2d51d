"""offerctl app|job explain and schema, read from the running frameworks."""

from __future__ import annotations

import json

from tests.support.cluster import Cluster


def test_explain_and_schema_come_from_the_running_frameworks(cluster: Cluster) -> None:
    cluster.start_master()
    cluster.start_service()
    cluster.start_batch()

    field = cluster.app("explain", "health_check.interval_seconds")
    assert field.returncode == 0, field.stderr
    assert "interval_seconds" in field.stdout and "number" in field.stdout

    every = cluster.app("explain")
    assert every.returncode == 0 and "instances" in every.stdout and "image" in every.stdout

    typo = cluster.app("explain", "health_check.intervalSeconds")
    assert typo.returncode == 1 and "interval_seconds" in typo.stderr, typo.stderr

    schema = cluster.app("schema")
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)  # a JSON Schema an editor can load

    retries = cluster.job("explain", "retries")
    assert retries.returncode == 0 and "retries" in retries.stdout, retries.stderr
    assert json.loads(cluster.job("schema").stdout)
