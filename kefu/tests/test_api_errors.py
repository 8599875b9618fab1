"""Every answer of the API that is not a success is JSON in the one error shape, with a code."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client, RequestFactory

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.api import api
from kefu.core import views as core_views
from kefu.workforce import services as workforce
from kefu.workforce.models import LeaveRequest, Queue

pytestmark = pytest.mark.django_db


def bearer(user: User) -> dict[str, str]:
    _row, token = api_token_create(user=user, name="t")
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["code"] == code and isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    return body


@pytest.fixture
def queue(manager_mike, front_team) -> Queue:
    return workforce.queue_create(actor=manager_mike, name="热线", team=front_team, shift_earliest_start="06:00",
                                  shift_latest_start="14:00")  # fmt: skip


# --- times, dates and datetimes ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["00:00:00Z", "08:30+08:00", "23:59:59.5-05:00"])
def test_a_zone_aware_time_of_day_is_a_422_naming_the_field(client: Client, manager_mike, queue, value):
    r = client.patch(f"/api/v1/workforce/queues/{queue.pk}", {"shift_earliest_start": value},
                     content_type="application/json", headers=bearer(manager_mike))  # fmt: skip
    body = assert_error(r, 422, "validation_error")
    assert list(body["fields"]) == ["shift_earliest_start"]
    queue.refresh_from_db()
    assert queue.shift_earliest_start.isoformat() == "06:00:00"


def test_a_local_time_of_day_is_kept_as_sent(client: Client, manager_mike, queue):
    r = client.patch(f"/api/v1/workforce/queues/{queue.pk}", {"shift_earliest_start": "07:30"},
                     content_type="application/json", headers=bearer(manager_mike))  # fmt: skip
    assert r.status_code == 200, r.content
    assert r.json()["shift_earliest_start"] == "07:30:00"


def test_a_datetime_with_an_offset_is_converted_to_utc_and_one_without_is_read_as_shanghai(client, agent_alice):
    headers = bearer(agent_alice)
    r = client.post("/api/v1/workforce/leave", {"start": "2026-12-01T09:00:00+09:00", "end": "2026-12-01T18:00:00",
                    "reason": "看病"}, content_type="application/json", headers=headers)  # fmt: skip
    assert r.status_code == 201, r.content
    leave = LeaveRequest.objects.get(pk=r.json()["id"])
    assert leave.start == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert leave.end == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00", "3000-01-01T00:00:00Z"])
def test_a_datetime_out_of_range_is_a_422_not_an_overflow(client, agent_alice, value):
    r = client.post("/api/v1/workforce/leave", {"start": value, "end": "2026-12-01T18:00:00Z", "reason": "x"},
                    content_type="application/json", headers=bearer(agent_alice))  # fmt: skip
    assert list(assert_error(r, 422, "validation_error")["fields"]) == ["start"]


def test_a_date_out_of_range_is_a_422_in_the_query_too(client, manager_mike):
    r = client.get("/api/v1/surveys/metrics", {"start": "0001-01-01", "end": "2026-01-01"}, headers=bearer(manager_mike))
    assert list(assert_error(r, 422, "validation_error")["fields"]) == ["start"]


# --- transport errors ---------------------------------------------------------------------------


def test_unknown_path_under_the_api_is_a_json_404(client, agent_alice):
    assert_error(client.get("/api/v1/no/such/thing", headers=bearer(agent_alice)), 404, "not_found")
    assert_error(client.get("/api/v1/"), 404, "not_found")


def test_wrong_method_is_a_json_405_with_allow(client, agent_alice):
    r = client.delete("/api/v1/me", headers=bearer(agent_alice))
    assert_error(r, 405, "method_not_allowed")
    assert "GET" in r["Allow"]


def test_unparseable_json_is_a_400(client, agent_alice):
    r = client.post("/api/v1/tickets/", "{not json", content_type="application/json", headers=bearer(agent_alice))
    assert_error(r, 400, "invalid_json")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_body_not_declared_as_json_is_a_415(client, agent_alice, content_type):
    r = client.post("/api/v1/tickets/", '{"title": "x"}', content_type=content_type, headers=bearer(agent_alice))
    assert_error(r, 415, "unsupported_media_type")


def test_json_variants_are_accepted(client, agent_alice, front_team):
    r = client.post("/api/v1/tickets/", '{"title": "查询话费"}', content_type="application/merge-patch+json",
                    headers=bearer(agent_alice))  # fmt: skip
    assert r.status_code == 201, r.content


def test_a_body_over_the_limit_is_a_413(client, agent_alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "x", "description": "长" * 2000})
    r = client.post("/api/v1/tickets/", body, content_type="application/json", headers=bearer(agent_alice))
    assert_error(r, 413, "payload_too_large")


def test_every_answer_carries_a_request_id_and_a_sensible_one_sent_is_kept(client, agent_alice):
    r = client.get("/api/v1/me", headers={**bearer(agent_alice), "X-Request-ID": "crm-42.a"})
    assert r["X-Request-ID"] == "crm-42.a"
    r = client.get("/api/v1/me", headers={"X-Request-ID": "<script>"})
    assert r.status_code == 401 and len(r["X-Request-ID"]) == 32 and r["X-Request-ID"] != "<script>"


def test_an_unexpected_failure_in_an_operation_is_a_json_500_with_the_request_id_in_the_log(caplog):
    request = RequestFactory().get("/api/v1/me", HTTP_X_REQUEST_ID="abc-123")
    with caplog.at_level(logging.ERROR, logger="kefu.errors"):
        r = api.on_exception(request, RuntimeError("boom"))
    body = assert_error(r, 500, "server_error")
    assert body["request_id"] == "abc-123" and r["X-Request-ID"] == "abc-123"
    assert "abc-123" in body["message"]
    record = next(rec for rec in caplog.records if "abc-123" in rec.getMessage())
    assert record.exc_info and "boom" in str(record.exc_info[1])


def test_a_failure_outside_the_api_operations_is_json_under_api_and_html_elsewhere(caplog):
    request = RequestFactory().get("/api/v1/tickets/", HTTP_X_REQUEST_ID="def-456")
    with caplog.at_level(logging.ERROR, logger="kefu.errors"):
        try:
            raise RuntimeError("middleware broke")
        except RuntimeError:
            r = core_views.server_error(request)
    assert assert_error(r, 500, "server_error")["request_id"] == "def-456"
    assert any("def-456" in rec.getMessage() for rec in caplog.records)
    page = core_views.server_error(RequestFactory().get("/tickets/"))
    assert page.status_code == 500 and not page["Content-Type"].startswith("application/json")


def test_the_openapi_document_declares_the_error_answers_of_every_operation(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["components"]["schemas"]["Error"]["required"] == ["code", "message", "fields"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            declared = set(operation["responses"])
            assert {"401", "404", "422", "429"} <= declared, (method, path)
            if "requestBody" in operation:
                assert {"413", "415"} <= declared, (method, path)


# --- numbers beyond 64 bits ---------------------------------------------------------------------


def test_an_id_beyond_64_bits_is_a_422_naming_it_in_path_query_and_body(client, manager_mike, queue, agent_alice):
    huge = "9" * 25
    r = client.get(f"/api/v1/workforce/queues/{huge}", headers=bearer(manager_mike))
    # Looked up by a query the database answers "none" for (404), or refused on the way in (422).
    assert r.status_code in (404, 422) and r.json()["code"] in ("workforce_not_found", "validation_error")
    r = client.get("/api/v1/workforce/schedules", {"queue_id": "-" + huge}, headers=bearer(manager_mike))
    assert assert_error(r, 422, "validation_error")["fields"] == {"queue_id": ["数字超出范围。"]}
    r = client.post("/api/v1/tickets/", {"title": "x", "category_id": int(huge)}, content_type="application/json",
                    headers=bearer(agent_alice))  # fmt: skip
    assert list(assert_error(r, 422, "validation_error")["fields"]) == ["category_id"]


def test_text_with_a_nul_character_is_a_422_naming_it_on_every_database(client, agent_alice):
    # PostgreSQL refuses NUL in text columns; found by the fuzz run (a ticket number with \x00).
    r = client.post("/api/v1/tickets/", {"title": "宽带\x00断了"}, content_type="application/json",
                    headers=bearer(agent_alice))  # fmt: skip
    assert assert_error(r, 422, "validation_error")["fields"] == {"title": ["文本中不能含有 NUL 字符。"]}
    r = client.get("/api/v1/tickets/", {"q": "a\x00b"}, headers=bearer(agent_alice))
    assert list(assert_error(r, 422, "validation_error")["fields"]) == ["q"]
