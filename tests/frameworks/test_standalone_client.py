"""The API stands on its own: a client generated from protos/ alone, importing
no project code, subscribes and launches a task on a real cluster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import google.protobuf
import grpc

from tests.support.cluster import IMAGE, Cluster
from tests.support.protos import generate

CLIENT = """
import sys
import grpc
import offer
from offer.v1 import common_pb2 as c, scheduler_pb2 as s, scheduler_pb2_grpc as sg

assert offer.__path__[0].startswith(sys.argv[2]), offer.__path__  # the generated code only
stub = sg.SchedulerStub(grpc.insecure_channel(sys.argv[1]))
events = stub.Subscribe(s.SubscribeRequest(framework=c.FrameworkInfo(name="standalone")))
framework_id = ""
launched = False
for event in events:
    kind = event.WhichOneof("event")
    if kind == "subscribed":
        framework_id = event.subscribed.framework_id
    elif kind == "offers" and launched:  # one task only: give the rest back
        stub.Decline(s.DeclineRequest(framework_id=framework_id,
                                      offer_ids=[o.offer_id for o in event.offers.offers]))
    elif kind == "offers":
        task = c.TaskInfo(
            task_id="raw",
            resources=c.Resources(cpus=0.1, mem=32),
            container=c.ContainerSpec(image=sys.argv[3], command=["sh", "-c", "echo hi"]),
        )
        try:
            stub.Accept(s.AcceptRequest(
                framework_id=framework_id,
                offer_ids=[event.offers.offers[0].offer_id],
                operations=[s.Operation(launch=s.Launch(tasks=[task]))],
            ))
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:  # NOT_FOUND: rescinded; wait
                sys.exit(f"Accept refused: {err.code()} {err.details()}")
        else:
            launched = True
    elif kind == "update":
        statuses = event.update.statuses
        for status in statuses:
            print(c.TaskState.Name(status.state), flush=True)
        uuids = [status.uuid for status in statuses if status.uuid]
        if uuids:
            stub.Acknowledge(s.AcknowledgeRequest(framework_id=framework_id, uuids=uuids))
        if any(status.state == c.TASK_FINISHED for status in statuses):
            stub.Teardown(s.TeardownRequest(framework_id=framework_id))
            break
"""


def test_a_client_generated_from_the_protos_alone_runs_a_task(
    running_cluster: Cluster, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    generated.mkdir()
    generate(generated, stubs=False)
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    # -S: no site module, so no .pth files and no editable install of this
    # project; only the generated code and the grpc and protobuf libraries.
    libraries = {str(Path(m.__file__).parents[1]) for m in (grpc, google.protobuf)}  # type: ignore[arg-type]
    done = subprocess.run(
        [sys.executable, "-S", str(script), running_cluster.address, str(generated), IMAGE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": ":".join([str(generated), *sorted(libraries)])},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
