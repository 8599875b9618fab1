"""Pages and API of the channels app: managers only, secrets never echoed, test connection, the
failure list with retry and discard, the delivery state on the ticket page."""

from __future__ import annotations

import pytest

from kefu.accounts.services import api_token_create
from kefu.channels.choices import ContactStatus
from kefu.channels.models import ChannelAccount, Contact
from kefu.channels.services import contact_receive
from kefu.channels.tests.conftest import eml

pytestmark = pytest.mark.django_db


def test_agents_do_not_see_the_pages(client, agent_alice, mailbox_account):
    client.force_login(agent_alice)
    assert client.get("/channels/").status_code == 404
    assert client.get(f"/channels/accounts/{mailbox_account.pk}/").status_code == 404
    assert client.get("/channels/contacts/").status_code == 404


def test_the_mailbox_form_saves_and_never_shows_the_password(client, manager_mike, front_team, tmp_path):
    client.force_login(manager_mike)
    assert client.get("/channels/accounts/new/").status_code == 200
    form = {
        "name": "售后邮箱", "is_active": "on", "team": front_team.pk, "source": "imap", "imap_host": "imap.example.cn",
        "imap_port": "993", "imap_security": "ssl", "username": "shouhou@example.cn", "password": "Very-Secret-1",
        "folder": "INBOX", "smtp_host": "smtp.example.cn", "smtp_port": "465", "smtp_security": "ssl",
        "from_address": "shouhou@example.cn", "thread_window_hours": "72", "rate_limit_per_hour": "20", "poll_seconds": "60",
    }
    r = client.post("/channels/accounts/new/", form)
    assert r.status_code == 302
    account = ChannelAccount.objects.get(name="售后邮箱")
    assert "Very-Secret-1" not in account.secret_encrypted and account.has_secret
    page = client.get(f"/channels/accounts/{account.pk}/").content.decode()
    assert "Very-Secret-1" not in page and "data-secret-stored" in page
    # Saving again without a password keeps it.
    client.post(f"/channels/accounts/{account.pk}/", {**form, "password": ""})
    account.refresh_from_db()
    assert account.has_secret
    # Bad input: a Chinese message on the form, never a 500.
    r = client.post("/channels/accounts/new/", {**form, "name": "x", "imap_host": "", "from_address": "nope"})
    assert r.status_code == 200 and "field-error" in r.content.decode()


def test_test_connection_answers_with_a_fragment(client, manager_mike, mailbox_account):
    client.force_login(manager_mike)
    r = client.post(f"/channels/accounts/{mailbox_account.pk}/test/", HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and body.lstrip().startswith('<div id="channel-test-result"')
    assert 'data-check="inbound" data-ok="1"' in body


def test_the_failure_list_retries_and_discards(client, manager_mike, mailbox_account):
    bad, _ = contact_receive(account=mailbox_account, raw=b"\r\n\r\n")
    noise, _ = contact_receive(account=mailbox_account, raw=eml(headers="Precedence: bulk\r\n"))
    client.force_login(manager_mike)
    page = client.get("/channels/contacts/").content.decode()
    assert f'data-contact="{bad.pk}"' in page and f'data-contact="{noise.pk}"' in page
    assert client.get(f"/channels/contacts/{bad.pk}/").status_code == 200
    client.post(f"/channels/contacts/{noise.pk}/retry/")
    noise.refresh_from_db()
    assert noise.status == ContactStatus.PROCESSED and noise.ticket is not None
    client.post(f"/channels/contacts/{bad.pk}/discard/")
    bad.refresh_from_db()
    assert bad.status == ContactStatus.DISCARDED
    assert client.post(f"/channels/contacts/{bad.pk}/discard/").status_code == 302  # refused: a toast, no 500
    assert client.post(f"/channels/contacts/{bad.pk}/explode/").status_code == 404


def _api(client, user):
    _row, token = api_token_create(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_api_lists_accounts_without_secrets_and_contacts(client, manager_mike, agent_alice, mailbox_account):
    contact, _ = contact_receive(account=mailbox_account, raw=b"\r\n\r\n")
    h = _api(client, manager_mike)
    accounts = client.get("/api/v1/channels/accounts", **h).json()
    assert accounts[0]["has_secret"] is True and "s3cret" not in str(accounts)
    rows = client.get("/api/v1/channels/contacts?status=failures", **h).json()
    assert [r["id"] for r in rows] == [contact.pk] and rows[0]["status"] == "failed"
    assert client.get(f"/api/v1/channels/contacts/{contact.pk}", **h).json()["error"]
    r = client.post(f"/api/v1/channels/contacts/{contact.pk}/retry", **h)
    assert r.status_code == 200 and r.json()["attempts"] == 2
    assert client.get("/api/v1/channels/contacts/999999", **h).status_code == 404
    assert client.get("/api/v1/channels/contacts", **_api(client, agent_alice)).json()["code"] == "channels_forbidden"
    assert Contact.objects.count() == 1
