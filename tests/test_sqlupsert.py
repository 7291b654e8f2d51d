"""ORM rows written as upserts on SQLite and PostgreSQL: new rows inserted,
existing ones replaced by key, columns a row leaves unset kept."""

from __future__ import annotations

from sqlalchemy import JSON, Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from offer.sqlupsert import upsert


class _Base(DeclarativeBase):
    pass


class _Thing(_Base):
    __tablename__ = "things"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    tags: Mapped[dict[str, str] | None] = mapped_column(JSON)


class _Other(_Base):
    __tablename__ = "others"
    key: Mapped[str] = mapped_column("key_name", String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def test_rows_are_inserted_replaced_and_kept_where_unset(db_url: str) -> None:
    engine = create_engine(db_url)
    _Base.metadata.create_all(engine)
    with engine.begin() as connection:
        upsert(
            connection,
            [_Thing(name="a", count=1, tags={"x": "1"}), _Thing(name="b", count=2, tags={})],
        )
    with engine.begin() as connection:
        upsert(
            connection,
            [
                _Thing(name="a", count=10, tags={"x": "2"}),  # replaced
                _Thing(name="b", count=20),  # tags left unset: kept
                _Thing(name="c", count=3, tags={}),  # new
                _Other(key="k", value=7),  # another table, a column named apart
            ],
        )
    with Session(engine) as session:
        things = {t.name: (t.count, t.tags) for t in session.scalars(select(_Thing))}
        others = [(o.key, o.value) for o in session.scalars(select(_Other))]
    assert things == {"a": (10, {"x": "2"}), "b": (20, {}), "c": (3, {})}
    assert others == [("k", 7)]
