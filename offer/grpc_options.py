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
    # Calls that arrived while the event loop was busy wait to be picked up.
    # gRPC's defaults drop them past 1,000 waiting (at random, all past
    # 3,000) with a bare CANCELLED the caller cannot tell from its own
    # cancel: a framework's burst of accepts vanished that way, holding its
    # offers until they expired. A busy master answers them late instead.
    ("grpc.server.max_pending_requests", 20_000),
    ("grpc.server.max_pending_requests_hard_limit", 20_000),
    # One daemon per port: with SO_REUSEPORT (gRPC's default) a second one
    # binds too and the kernel splits clients between them (offer.exclusive).
    ("grpc.so_reuseport", 0),
]
