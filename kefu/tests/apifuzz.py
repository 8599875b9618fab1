"""Property-based tests of the whole JSON API, driven by its own OpenAPI document (schemathesis).

Used by kefu/tests/test_api_fuzz.py (bounded, part of `make test`) and `make fuzz` (longer). Nothing
here lists today's endpoints: the operations come from /api/v1/openapi.json, and the values of their
path parameters from the database, found by the parameter's name:

- ``{something_id}`` is the primary key of the model called ``Something`` (or ``...Something`` /
  ``Something...``), preferring the app the path starts with: ``/workforce/leave/{leave_id}`` ->
  workforce.LeaveRequest, ``/surveys/archive/{case_id}`` -> surveys.DissatisfiedCase;
- any other name (``{number}``, ``{code}``) is a unique field of that name, again preferring the
  path's app and then any app: ``{number}`` -> tickets.Ticket.number.

Each parameter is offered the first few real values plus one that does not exist (which must be a
clean 404). Integer ``*_id`` fields at the top of a request body or in the query are offered real ids
too (or anything the schema allows), so success paths are reached, not only 404s and 422s.

Knobs (environment): ``KEFU_FUZZ_EXAMPLES`` examples per operation (default 20),
``KEFU_FUZZ_MODES`` (``positive,negative``), ``KEFU_FUZZ_RANDOM=1`` for a fresh random seed instead of
the fixed derandomized run, ``KEFU_FUZZ_USERS`` (usernames or roles to fuzz as; default the admin).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from django.apps import apps
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, models
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

API_PREFIX = "/api/v1/"
SAMPLE = 8  # real values offered per parameter
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Request-body knobs that make one call expensive (a solver's time budget): capped in the fuzz only.
CAPS = {"time_limit": 1}


def env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


@dataclass
class Findings:
    failures: list[str] = field(default_factory=list)
    operations: int = 0
    calls: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    unresolved: set[str] = field(default_factory=set)


# --- the OpenAPI document, with real values for ids ----------------------------------------------


def _camel(stem: str) -> str:
    return "".join(part.capitalize() for part in stem.split("_"))


def _app_of(path: str) -> str:
    rest = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path
    return rest.strip("/").split("/")[0]


def _ordered(candidates: list[type[models.Model]], app: str) -> list[type[models.Model]]:
    return sorted(candidates, key=lambda m: (m._meta.app_label != app, len(m.__name__), m.__name__))


def model_for_id(name: str, app: str) -> type[models.Model] | None:
    """The model whose primary key a parameter called ``<stem>_id`` holds."""
    if not name.endswith("_id"):
        return None
    camel = _camel(name[: -len("_id")])
    everything = [m for m in apps.get_models() if m.__module__.startswith("kefu.")]
    for scope in ([m for m in everything if m._meta.app_label == app], everything):
        for test in (lambda n: n == camel, lambda n: n.endswith(camel), lambda n: n.startswith(camel)):
            found = [m for m in scope if test(m.__name__)]
            if found:
                return _ordered(found, app)[0]
    return None


def field_for(name: str, app: str) -> tuple[type[models.Model], str] | None:
    """A unique field called ``name`` (``number``, ``code``), in the path's app first."""
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("kefu."):
            continue
        try:
            f = model._meta.get_field(name)
        except Exception:  # noqa: S112 - FieldDoesNotExist: not this model
            continue
        if getattr(f, "unique", False) or getattr(f, "primary_key", False):
            found.append(model)
    return (_ordered(found, app)[0], name) if found else None


def real_values(name: str, path: str, kind: str | None) -> list[Any] | None:
    """Up to SAMPLE real values for a parameter plus one that does not exist; None if unknown."""
    app = _app_of(path)
    model = model_for_id(name, app)
    column = "pk"
    if model is None:
        hit = field_for(name, app)
        if hit is None:
            return None
        model, column = hit
    values = list(model._default_manager.order_by("pk").values_list(column, flat=True)[:SAMPLE])
    if kind == "integer" or (values and isinstance(values[0], int)):
        ints = [int(v) for v in values]
        return [*ints, max(ints, default=0) + 100000]
    return [*(str(v) for v in values), "NO-SUCH-" + name.upper()]


def prepared_document(doc: dict[str, Any], findings: Findings) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    schemas = doc.get("components", {}).get("schemas", {})
    for path, item in doc.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path":
                    values = real_values(parameter["name"], path, schema.get("type"))
                    if values is None:
                        findings.unresolved.add(f"{path}: {{{parameter['name']}}}")
                        continue
                    parameter["schema"] = {"enum": values}
                elif parameter.get("in") == "query" and parameter["name"].endswith("_id"):
                    _offer_real_ids(parameter, "schema", path)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            target = _resolve(body, schemas)
            for name in list((target or {}).get("properties", {})):
                if name.endswith("_id"):
                    _offer_real_ids(target["properties"], name, path)
                if name in CAPS:
                    target["properties"][name] = {"type": "number", "minimum": 0, "maximum": CAPS[name]}
    return doc


def _resolve(schema: dict[str, Any] | None, schemas: dict[str, Any]) -> dict[str, Any] | None:
    if schema and "$ref" in schema:
        return schemas.get(schema["$ref"].rsplit("/", 1)[-1])
    return schema


def _is_integer(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "integer" or any(_is_integer(s) for s in schema.get("anyOf", []))


def _offer_real_ids(holder: dict[str, Any], key: str, path: str) -> None:
    name = holder.get("name", key) if key == "schema" else key
    if not _is_integer(holder.get(key, {})):
        return
    model = model_for_id(name, _app_of(path))
    if model is None:
        return
    ids = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:SAMPLE])
    if ids:
        holder[key] = {"anyOf": [{"enum": ids}, holder[key]]}


# --- running ---------------------------------------------------------------------------------------


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@contextmanager
def in_process() -> Iterator[WsgiApp]:
    """Django's WSGI app in this process and this test's transaction (as Django's test client does).

    Every answer is read whole and closed at once, as a WSGI server does: closing it is what sends
    `request_finished` (werkzeug's client, which schemathesis uses, leaves that to the caller, and an
    unclosed answer would leave this thread "inside a request" for the tests that run after).
    """
    handler = WSGIHandler()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer = handler(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            answer.close()

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield app
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def load_schema(doc: dict[str, Any], app: WsgiApp) -> Any:
    schema = schemathesis.openapi.from_dict(doc)
    schema.app = app
    schema.location = API_PREFIX + "openapi.json"
    return schema


def operations(schema: Any, shard: int = 0, shards: int = 1) -> list[Any]:
    found = []
    for result in schema.get_all_operations():
        found.append(result.ok())
    found.sort(key=lambda op: (op.path, op.method))
    return [op for i, op in enumerate(found) if i % shards == shard]


def _one(strategy: Any, settings: Any, headers: dict[str, str], findings: Findings) -> Any:
    @settings
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        findings.calls += 1
        findings.statuses[response.status_code] = findings.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    return run


def fuzz(schema: Any, ops: list[Any], tokens: dict[str, str], findings: Findings) -> Findings:
    examples = env_int("KEFU_FUZZ_EXAMPLES", 20)
    modes = [GenerationMode(m.strip()) for m in os.environ.get("KEFU_FUZZ_MODES", "positive,negative").split(",")]
    settings = hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=os.environ.get("KEFU_FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the failure's curl line is enough
        report_multiple_bugs=False,
    )
    for operation in ops:
        findings.operations += 1
        strategy = st.one_of([operation.as_strategy(generation_mode=mode) for mode in modes])
        for who, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"}

            try:
                _one(strategy, settings, headers, findings)()
            except (Exception, BaseExceptionGroup) as exc:  # a check failed: keep going, report every operation at the end
                notes = "\n".join(getattr(exc, "__notes__", []))
                text = re.sub(r"kefu_[A-Za-z0-9_-]+", "kefu_***", f"{exc}\n{notes}")
                findings.failures.append(f"{operation.method.upper()} {operation.path} as {who}:\n{text}")
    return findings
