"""The master at scale: many load-test agents and several frameworks over
real gRPC against a real master process with its real SQLite store.

A benchmark harness only: the load agents run no containers (a task "runs"
for the seconds its `sleep N` command names), so the master, not Docker, is
what is measured. Never a stand-in for Docker in the test suite.
"""
