"""Pages and the API: access, the happy path, and 4xx JSON for bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.complaints import services
from kefu.complaints.models import ComplaintWarning, OpinionPost
from kefu.complaints.tests.conftest import complaints, history
from kefu.conftest import login


def call(client: Client, method: str, url: str, user: User | None, body: Any = None) -> Any:
    headers = {}
    if user is not None:
        _row, token = api_token_create(user=user, name="t")
        headers["Authorization"] = f"Bearer {token}"
    fn = getattr(client, method)
    if body is None:
        return fn(url, headers=headers)
    return fn(url, data=json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def warning(defaults, agent_alice, broadband, django_capture_on_commit_callbacks):
    history(broadband)
    with django_capture_on_commit_callbacks(execute=True):
        complaints(agent_alice, broadband, 30)
    services.detector_evaluate(now=timezone.now())
    return ComplaintWarning.objects.get(dimension="category", key=str(broadband.pk))


def test_pages_render_for_a_lead_and_hide_from_an_agent(client, warning, lead_linda, agent_alice):
    login(client, lead_linda)
    for url in [
        "/complaints/",
        "/complaints/warnings/history/",
        f"/complaints/warnings/{warning.pk}/",
        "/complaints/bulletin/",
        "/complaints/incidents/",
        "/complaints/posts/",
        "/complaints/causes/",
        "/complaints/causes/export.csv",
        "/complaints/bulletin/?days=abc&end=nonsense",
        "/complaints/causes/?start=bad",
    ]:
        r = client.get(url)
        assert r.status_code == 200, url
    assert "红色预警" in client.get("/complaints/").content.decode()
    login(client, agent_alice)
    assert client.get("/complaints/").status_code == 404


def test_page_actions_ack_incident_and_bad_input_toast(client, warning, lead_linda):
    login(client, lead_linda)
    r = client.post(f"/complaints/warnings/{warning.pk}/ack/", follow=True)
    assert "已确认" in r.content.decode() or r.status_code == 200
    warning.refresh_from_db()
    assert warning.acknowledged_at is not None
    r = client.post(f"/complaints/warnings/{warning.pk}/ack/", follow=True)
    assert r.status_code == 200  # refused with a message, never a 500
    r = client.post(f"/complaints/warnings/{warning.pk}/incident/")
    assert r.status_code == 302 and "/complaints/incidents/" in r["Location"]
    incident_url = r["Location"]
    page = client.get(incident_url).content.decode()
    assert "30" in page
    r = client.post(incident_url + "compensate/", {"kind": "credit", "amount": "abc"}, follow=True)
    assert r.status_code == 200
    r = client.post(incident_url + "link/", {"numbers": "GD-NOPE"}, follow=True)
    assert r.status_code == 200


def test_posts_upload_reports_bad_rows(client, defaults, lead_linda):
    login(client, lead_linda)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "source,author,url,text,time\nweibo,甲,https://weibo.com/9,宽带断网要曝光,2026-12-05 09:00\nweibo,乙,bad,x,2026-12-05\n"
    r = client.post("/complaints/posts/", {"file": SimpleUploadedFile("p.csv", data.encode("utf-8"))})
    assert r.status_code == 200 and "import-report" in r.content.decode()
    assert OpinionPost.objects.get().score >= 3


def test_api_warning_duties_and_errors(client, warning, lead_linda, agent_alice):
    assert call(client, "get", "/api/v1/complaints/warnings", None).status_code == 401
    r = call(client, "get", "/api/v1/complaints/warnings", lead_linda)
    assert r.status_code == 200 and any(w["level"] == "red" for w in r.json())
    r = call(client, "post", f"/api/v1/complaints/warnings/{warning.pk}/acknowledge", agent_alice)
    assert r.status_code == 403 and r.json()["code"] == "complaints_forbidden"
    r = call(client, "post", f"/api/v1/complaints/warnings/{warning.pk}/acknowledge", lead_linda)
    assert r.status_code == 200 and r.json()["status"] == "acknowledged" and len(r.json()["tickets"]) == 30
    r = call(client, "post", f"/api/v1/complaints/warnings/{warning.pk}/close", lead_linda, {"note": ""})
    assert r.status_code == 400 and r.json()["code"] == "warning_note_required"
    assert call(client, "get", "/api/v1/complaints/warnings/999999", lead_linda).status_code == 404


def test_api_incident_flow(client, warning, manager_mike):
    r = call(
        client,
        "post",
        "/api/v1/complaints/incidents",
        manager_mike,
        {"title": "宽带大面积故障", "warning_id": warning.pk},
    )
    assert r.status_code == 201
    inc = r.json()
    assert len(inc["tickets"]) == 30
    url = f"/api/v1/complaints/incidents/{inc['id']}"
    r = call(client, "post", url + "/link", manager_mike, {"numbers": [inc["tickets"][0]]})
    assert r.status_code == 409 and r.json()["code"] == "incident_already_linked"
    r = call(client, "post", url + "/unlink", manager_mike, {"number": inc["tickets"][0]})
    assert r.status_code == 200 and len(r.json()["tickets"]) == 29
    r = call(
        client,
        "post",
        url + "/compensation",
        manager_mike,
        {"kind": "credit", "amount": "20", "ticket": inc["tickets"][1]},
    )
    assert r.status_code == 201
    comp = r.json()["id"]
    assert (
        call(client, "post", f"/api/v1/complaints/compensation/{comp}/pay", manager_mike).status_code == 409
    )
    assert (
        call(client, "post", f"/api/v1/complaints/compensation/{comp}/approve", manager_mike).json()["state"]
        == "approved"
    )
    assert call(client, "post", url + "/notify", manager_mike, {"body": "抢修中"}).json()["count"] == 29
    assert call(client, "post", url + "/resolve", manager_mike, {"comment": "已恢复"}).json()["count"] == 29
    r = call(client, "post", url + "/resolve", manager_mike, {"comment": "again"})
    assert r.status_code == 409 and r.json()["code"] == "incident_resolved"


def test_api_posts_import_and_cause_stats(client, defaults, lead_linda):
    r = call(
        client,
        "post",
        "/api/v1/complaints/posts/import",
        lead_linda,
        {
            "posts": [
                {
                    "source": "weibo",
                    "url": "https://weibo.com/a",
                    "text": "骗子公司，退款难",
                    "time": "2026-12-05T10:00:00+08:00",
                },
                {"source": "nowhere", "url": "https://x.cn/b", "text": "t", "time": "2026-12-05T10:00:00"},
            ]
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert len(body["created"]) == 1 and body["errors"][0]["row"] == 2
    r = call(client, "get", "/api/v1/complaints/causes/stats", lead_linda)
    assert r.status_code == 200 and r.json()["total"] == 0
    r = call(client, "post", "/api/v1/complaints/causes/GD-NOPE", lead_linda, {"cause": "system"})
    assert r.status_code == 404
