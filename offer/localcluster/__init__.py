"""Several hosts on one machine, for tests, benchmarks and `offer-cluster`:
network namespaces on a bridge, a Docker engine in each, a registry."""
