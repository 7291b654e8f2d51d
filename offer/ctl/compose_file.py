"""`offerctl app deploy FILE` for Compose files: interpolated here, where
the file is read, with offerctl's environment over a `.env` beside the file
(the environment wins, as in Compose); offer-service gets the result and
never interpolates (a `$` it sees is a literal one). Relative bind mount
sources are made absolute here, against the file's folder (compose_binds).
Services with `build:` are built and pushed here, and sent as `image:`
(compose_build, image_builder). `--dry-run` parses, interpolates and
validates here and prints the apps, calling nothing and building nothing."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from offer.ctl import specs
from offer.ctl.compose_binds import resolve_bind_sources
from offer.ctl.compose_document import compose_document


def prepare(parser: object, args: argparse.Namespace) -> int:
    """specs.load, then the Compose steps; 1 (after one line on stderr) when
    the file is refused."""
    code = specs.load(parser, args)
    if code:
        return code
    try:
        args.spec_text = interpolated(args.spec_text, args.file, dict(os.environ))
    except ValueError as err:
        print(f"offerctl: {_name(args.file)}: {err}", file=sys.stderr)
        return 1
    code = _build_images(args)
    if code:
        return code
    if getattr(args, "dry_run", False):
        # Nothing to call: cli.main runs it with the parser in place of a stub.
        args.target, args.run = "local", dry_run
    return 0


def _build_images(args: argparse.Namespace) -> int:
    """Services with `build:` built, pushed and named by image
    (docs/compose-build.md); 1 (after the reason on stderr) if that fails."""
    if "build" not in args.spec_text:
        return 0  # no service builds: the engine and rich are not imported
    from offer.ctl.compose_build import BuildError
    from offer.ctl.image_builder import ImageError, built_document

    try:
        args.spec_text = built_document(
            args.spec_text,
            args.file,
            getattr(args, "registry", ""),
            dict(os.environ),
            dry_run=getattr(args, "dry_run", False),
        )
    except BuildError as err:
        print(f"offerctl: {_name(args.file)}: {err}", file=sys.stderr)
        return 1
    except ImageError as err:
        for line in err.output:
            print(f"  {line}", file=sys.stderr)
        print(f"offerctl: {_name(args.file)}: {err}; nothing was deployed", file=sys.stderr)
        return 1
    return 0


def _name(file: str) -> str:
    return "<stdin>" if file == "-" else file


def interpolated(text: str, file: str, environ: dict[str, str]) -> str:
    """`text` with a Compose file's values interpolated (other documents as
    they are). Raises ValueError: a required variable missing, a bad
    `${...}`, an unreadable `.env`. Warns on stderr, as Compose does, of
    variables set nowhere (they become "")."""
    from frameworks.service.compose_interpolation import interpolate

    doc = compose_document(text)
    if doc is None:
        return text
    variables = {**dotenv(file), **environ}
    name = doc.get("name")
    if isinstance(name, str) and "$" not in name:
        # As Compose: the top-level name is COMPOSE_PROJECT_NAME unless that is set.
        variables.setdefault("COMPOSE_PROJECT_NAME", name)
    done = interpolate(doc, variables)
    for name in done.unset:
        print(
            f'offerctl: warning: the "{name}" variable is not set; it is an empty string',
            file=sys.stderr,
        )
    folder = Path.cwd() if file == "-" else Path(file).resolve().parent
    _inline_env_files(done.doc, folder)
    resolved = resolve_bind_sources(done.doc, str(folder), str(Path.home()))
    dumped: str = yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)
    return dumped


def _inline_env_files(doc: dict[str, Any], folder: Path) -> None:
    """Each service's `env_file`s read here (offer-service does not have
    them) into its environment, in order, `environment` winning, as in
    Compose; a file marked `required: false` may be missing."""
    from frameworks.service.compose_interpolation import parse_dotenv

    services = doc["services"] if isinstance(doc.get("services"), dict) else doc
    for name, service in services.items():
        if not isinstance(service, dict) or "env_file" not in service:
            continue
        given = service.pop("env_file")
        entries = given if isinstance(given, list) else [given]
        found: dict[str, str] = {}
        for entry in entries:
            path = entry.get("path", "") if isinstance(entry, dict) else str(entry)
            required = entry.get("required", True) if isinstance(entry, dict) else True
            where = folder / path
            try:
                found.update(parse_dotenv(where.read_text()))
            except FileNotFoundError:
                if required:
                    raise ValueError(f"{name}: env_file {path}: no such file") from None
            except (OSError, UnicodeDecodeError, ValueError) as err:
                raise ValueError(f"{name}: env_file {path}: {err}") from None
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        service["environment"] = {**found, **environment}


def dotenv(file: str) -> dict[str, str]:
    """The `.env` beside the file (stdin: in the working directory), or {}."""
    from frameworks.service.compose_interpolation import parse_dotenv

    path = (Path.cwd() if file == "-" else Path(file).resolve().parent) / ".env"
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read {path}: {err}") from None
    try:
        return parse_dotenv(text)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def dry_run(_: object, args: argparse.Namespace) -> int:
    """Prints the apps `args.spec_text` would deploy, as YAML; 1 with the
    reason when it is refused."""
    from frameworks.checks import SpecError
    from frameworks.service.documents import parse_apps

    try:
        apps = parse_apps(args.spec_text)
    except SpecError as err:
        print(f"offerctl: {_name(args.file)}: {err}", file=sys.stderr)
        return 1
    views: list[dict[str, Any]] = [
        app.model_dump(mode="json", exclude_defaults=True) for app in apps
    ]
    print(yaml.safe_dump({"apps": views}, sort_keys=False, allow_unicode=True), end="")
    return 0
