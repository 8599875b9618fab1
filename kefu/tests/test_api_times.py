"""Every time, date and datetime an API operation accepts goes through kefu.core.apitypes.

A bare ``datetime.time`` accepts ``00:00:00Z`` and the database refuses it (a 500); a bare
``datetime`` accepts year 9999 with an offset, which overflows on its way to UTC. This test walks
the input models of every operation registered on the API — new apps' included, without a list —
and fails for a bare type, naming the operation and the field.
"""

from __future__ import annotations

import types
from datetime import date, datetime, time
from typing import Annotated, Any, Union, get_args, get_origin

from ninja import Schema
from pydantic import AfterValidator, BaseModel

from kefu.api import api
from kefu.core import apitypes

BARE = (datetime, date, time)
OURS = {apitypes._wall_time, apitypes._api_date, apitypes._api_datetime}


def _ours(metadata: list[Any] | tuple[Any, ...]) -> bool:
    return any(isinstance(m, AfterValidator) and m.func in OURS for m in metadata)


def bare_fields(model: type[BaseModel], where: str = "", seen: set[type] | None = None) -> list[str]:
    seen = seen if seen is not None else set()
    if model in seen:
        return []
    seen.add(model)
    found: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{where}.{name}" if where else name
        if field.annotation in BARE:
            if not _ours(field.metadata):
                found.append(path)
            continue
        found += _walk(field.annotation, path, seen)
    return found


def _walk(annotation: Any, path: str, seen: set[type]) -> list[str]:
    if annotation in BARE:
        return [path]
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        if base in BARE and _ours(metadata):
            return []
        return _walk(base, path, seen)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return bare_fields(annotation, path, seen)
    if get_origin(annotation) in (Union, types.UnionType, list, dict, tuple, set, frozenset):
        return [hit for arg in get_args(annotation) for hit in _walk(arg, path, seen)]
    return []


def all_operations() -> list[tuple[str, str, Any]]:
    found = []
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            full = "/" + "/".join(p.strip("/") for p in (bound.prefix, path) if p.strip("/"))
            for operation in path_view.operations:
                found += [(method, full, operation) for method in operation.methods]
    return found


def test_the_walk_finds_every_operation_and_a_bare_type():
    assert len(all_operations()) > 30

    class Sneaky(BaseModel):
        at: list[datetime | None]
        day: apitypes.ApiDate

    assert bare_fields(Sneaky) == ["at"]


def test_no_operation_accepts_a_bare_time_date_or_datetime():
    offenders = []
    for method, path, operation in all_operations():
        for model in operation.models:
            offenders += [f"{method} {path}: {field}" for field in bare_fields(model)]
    assert not offenders, (
        "Use kefu.core.apitypes.WallTime / ApiDate / ApiDateTime for API input, not the bare types: "
        + ", ".join(offenders)
    )


def test_schema_names_are_unique_across_the_apps() -> None:
    """Two apps' schemas with the same class name make one OpenAPI component: the document then
    describes one operation's body with the other's schema (chat's MessageIn hid the tickets')."""
    api.get_openapi_schema()  # imports every router
    seen: dict[str, str] = {}
    clashes = []

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("kefu.") and ".tests" not in sub.__module__:
                other = seen.setdefault(sub.__name__, sub.__module__)
                if other != sub.__module__:
                    clashes.append(f"{sub.__name__}: {other} and {sub.__module__}")
            walk(sub)

    walk(Schema)
    assert not clashes, clashes
