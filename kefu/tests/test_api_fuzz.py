"""Property-based fuzzing of every API operation (schemathesis, in process, on the demo data).

Every operation in /api/v1/openapi.json — new apps' included, without a list — is called with
generated valid and invalid input, as the admin, with real ids in its path. Every answer must be
no 5xx, a status code the operation declares, and a body that matches the declared schema (the
Error shape for every 4xx). Two shards, so `make test -n 2` runs them side by side.

Bounded for `make test` (KEFU_FUZZ_EXAMPLES, default 20 per operation); `make fuzz` runs it
longer. See kefu/tests/apifuzz.py for the knobs and how path ids are found.
"""

from __future__ import annotations

import os

import pytest

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.demo.seed import demo_load
from kefu.tests import apifuzz

SHARDS = 2

pytestmark = pytest.mark.django_db


def fuzz_users() -> list[User]:
    wanted = [w.strip() for w in os.environ.get("KEFU_FUZZ_USERS", "admin").split(",") if w.strip()]
    users = []
    for w in wanted:
        user = User.objects.filter(username=w).first() or User.objects.filter(role=w, is_active=True).order_by("pk").first()
        assert user is not None, f"KEFU_FUZZ_USERS: no user or role {w!r}"
        users.append(user)
    return users


@pytest.fixture
def demo(settings):
    settings.ALLOWED_HOSTS = ["*"]
    demo_load(tickets=40, customers=15, days=20)
    assert User.objects.filter(role=Role.ADMIN).exists()


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_operation_answers_as_declared_and_never_5xx(demo, client, shard):
    findings = apifuzz.Findings()
    doc = client.get("/api/v1/openapi.json").json()
    prepared = apifuzz.prepared_document(doc, findings)
    tokens = {f"{u.username} ({u.role})": api_token_create(user=u, name="fuzz")[1] for u in fuzz_users()}
    with apifuzz.in_process() as app:
        schema = apifuzz.load_schema(prepared, app)
        ops = apifuzz.operations(schema, shard, SHARDS)
        assert ops, "no operations found in the OpenAPI document"
        apifuzz.fuzz(schema, ops, tokens, findings)
    print(f"\nshard {shard}: {findings.operations} operations, {findings.calls} calls, statuses {sorted(findings.statuses.items())}")
    if findings.unresolved:
        print("path parameters without real values (fuzzed as declared):", ", ".join(sorted(findings.unresolved)))
    assert findings.calls >= findings.operations
    assert not findings.failures, "\n\n".join(findings.failures)


def test_path_parameters_are_resolved_to_models_by_name():
    assert apifuzz.model_for_id("queue_id", "workforce").__name__ == "Queue"
    assert apifuzz.model_for_id("leave_id", "workforce").__name__ == "LeaveRequest"
    assert apifuzz.model_for_id("case_id", "surveys").__name__ == "DissatisfiedCase"
    assert apifuzz.model_for_id("customer_id", "customers").__name__ == "Customer"
    model, column = apifuzz.field_for("number", "knowledge")
    assert (model.__name__, column) == ("Ticket", "number")
