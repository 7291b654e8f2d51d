"""`offerctl`: what the cluster is doing, for people and for scripts.

Exit codes: 0 ok, 1 the call failed (e.g. master unreachable), 2 usage error.

This module imports only the standard library at the top: `offerctl
--version` answers before anything else is imported, and the modules that
talk to a server (grpc, rich, the generated protos: over 100 ms) are
imported once the command line is known to need them.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    given = sys.argv[1:] if argv is None else argv
    if given == ["--version"]:
        # Before the parser: its security flags come from a module that
        # imports grpc (offer/security/client.py).
        from offer.version import version

        print(f"offerctl {version()}")
        sys.exit(0)
    from offer.ctl.parser import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    prepare = getattr(args, "prepare", None)  # checks of what is given, before any call
    if prepare is not None and (code := prepare(None, args)):
        sys.exit(code)
    if getattr(args, "target", "") == "local":
        # A command that calls nothing gets the parser in place of a stub.
        sys.exit(args.run(parser, args))
    from offer.ctl.calls import call

    sys.exit(call(args))


if __name__ == "__main__":
    main()
