"""The spec files `app deploy` and `job submit` send: read once (stdin can
be read only once) and parsed here first, so that a YAML syntax error is
one line naming the file, line and column, and nothing is called."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from offer.yamlerrors import yaml_error_line


def load(_: object, args: argparse.Namespace) -> int:
    """Reads `args.file` ('-': stdin) into `args.spec_text`; 1, after one
    line on stderr, if it cannot be read or is not YAML."""
    name = "<stdin>" if args.file == "-" else args.file
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    except OSError as err:
        print(f"offerctl: cannot read {name}: {err.strerror}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"offerctl: {name} is not text (UTF-8)", file=sys.stderr)
        return 1
    problem = yaml_problem(text, name)
    if problem:
        print(f"offerctl: {problem}", file=sys.stderr)
        return 1
    args.spec_text = text
    return 0


def yaml_problem(text: str, name: str) -> str:
    """'web.yaml:3:5: mapping values are not allowed here', or '' for YAML
    that parses (whether it is a valid spec is the framework's to say)."""
    try:
        for _ in yaml.safe_load_all(text):
            pass
    except yaml.YAMLError as err:
        return yaml_error_line(err, name)
    return ""
