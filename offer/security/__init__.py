"""Who may talk to the master and what they may do: credentials, ACLs, TLS,
rate limits, and the gRPC plumbing that applies them on both ends."""
