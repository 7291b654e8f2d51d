"""Every daemon's HTTP port: /metrics (Prometheus), /health, and on the
master the web UI."""
