"""Writing ORM rows as upserts: each table's rows in one
INSERT ... ON CONFLICT DO UPDATE. The frameworks' stores write on every
status update, so a write must not SELECT each row first and flush it
through the ORM as `Session.merge` does (bench/profiling.md, note 21)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, inspect
from sqlalchemy.dialects import postgresql, sqlite

_DIALECTS = {"sqlite": sqlite, "postgresql": postgresql}


def upsert(connection: Connection, rows: Iterable[Any]) -> None:
    """Writes ORM instances (not attached to any session), replacing rows
    with the same primary key. As with merge, a column an instance leaves
    unset keeps its stored value; unlike merge, the database checks the row
    as an insert first, so each must set every column a new row requires."""
    # Rows of one table that set the same columns go as one executemany.
    groups: dict[tuple[Any, tuple[str, ...]], list[dict[str, Any]]] = {}
    for row in rows:
        state = inspect(row)
        values = {
            a.columns[0].name: state.dict[a.key]
            for a in state.mapper.column_attrs
            if a.key in state.dict
        }
        groups.setdefault((state.mapper.local_table, tuple(values)), []).append(values)
    for (table, columns), table_rows in groups.items():
        key = (connection.dialect.name, table, columns)
        if key not in _STATEMENTS:
            _STATEMENTS[key] = upsert_statement(connection.dialect.name, table, columns)
        connection.execute(_STATEMENTS[key], table_rows)


# Built once per table and set of columns: building a statement costs more
# than running it (bench/profiling.md, note 1).
_STATEMENTS: dict[tuple[str, Any, tuple[str, ...]], Any] = {}


def upsert_statement(
    dialect_name: str,
    table: Any,
    columns: Sequence[str],
    keys: Sequence[str] = (),
    kept: Collection[str] = (),
) -> Any:
    """INSERT ... ON CONFLICT (`keys`, by default the primary key) DO UPDATE
    of `columns`, except `kept` ones, which keep their first write's value.
    Executed with a list of rows, it is one executemany."""
    dialect = _DIALECTS.get(dialect_name)
    if dialect is None:
        raise RuntimeError(f"unsupported database dialect {dialect_name!r}")
    keys = list(keys) or [c.name for c in table.primary_key]
    insert = dialect.insert(table)
    changed = {c: insert.excluded[c] for c in columns if c not in keys and c not in kept}
    if not changed:
        return insert.on_conflict_do_nothing(index_elements=keys)
    return insert.on_conflict_do_update(index_elements=keys, set_=changed)
