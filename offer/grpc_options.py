"""gRPC channel and server options shared by every process.

Keepalive pings let both ends notice a peer that vanished without closing
its connection (kill -9, a cable pulled) within seconds, not hours.
"""

from __future__ import annotations

KEEPALIVE_OPTIONS: list[tuple[str, int]] = [
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
]

SERVER_OPTIONS: list[tuple[str, int]] = [
    *KEEPALIVE_OPTIONS,
    # Accept client pings as often as clients are configured to send them.
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]
