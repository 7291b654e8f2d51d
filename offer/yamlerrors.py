"""YAML errors in one line, `NAME:LINE:COLUMN: problem`, as compilers say
them: PyYAML's own message spans several lines and quotes the document."""

from __future__ import annotations

import yaml


def yaml_error_line(err: yaml.YAMLError, name: str) -> str:
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        return f"{where}: {err.problem or err.context or 'not YAML'}"
    return f"{name}: {' '.join(str(err).split())}"
