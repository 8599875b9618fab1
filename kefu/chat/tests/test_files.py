"""Files in chat: checked by the customers upload checks plus the chat's own size and type limits,
pictures served inline and everything else as a download, a visitor reads only the files of their
own conversation (by their signed token), an agent only those of chats they may see."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.chat import services
from kefu.chat.models import ChatFile, Conversation

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"


def _active(agent):  # type: ignore[no-untyped-def]
    visitor = services.visitor_start(name="孙先生")
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工")
    services.conversation_accept(actor=agent, conversation_id=conv.pk)
    return visitor, conv


def _upload(client, visitor, conv, name: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/chat/upload/",
        {
            "token": services.visitor_token(visitor),
            "conversation": str(conv.pk),
            "file": SimpleUploadedFile(name, content),
        },
    )


def test_a_visitors_picture_is_stored_pushed_and_shown_inline_only_to_its_own_visitor_and_agent(
    client, agent_alice, outsider_charlie
):
    visitor, conv = _active(agent_alice)
    r = _upload(client, visitor, conv, "发票.png", PNG)
    assert r.status_code == 201 and r["Access-Control-Allow-Origin"] == "*"
    meta = r.json()["message"]["meta"]["file"]
    assert (meta["name"], meta["type"], meta["image"], meta["size"]) == (
        "发票.png",
        "image/png",
        True,
        len(PNG),
    )
    f = ChatFile.objects.get(pk=meta["id"])
    assert f.message is not None and f.message.conversation_id == conv.pk and f.sender == "visitor"

    own = client.get(f"/chat/f/{f.pk}/", {"t": services.visitor_token(visitor)})
    assert own.status_code == 200 and own["Content-Type"] == "image/png"
    assert own["X-Content-Type-Options"] == "nosniff" and "attachment" not in own.get(
        "Content-Disposition", ""
    )
    assert b"".join(own.streaming_content) == PNG

    stranger = services.visitor_start()
    services.conversation_open(visitor=stranger)
    assert client.get(f"/chat/f/{f.pk}/", {"t": services.visitor_token(stranger)}).status_code == 404
    assert client.get(f"/chat/f/{f.pk}/", {"t": services.visitor_token(visitor) + "x"}).status_code == 401
    assert client.get(f"/chat/f/{f.pk}/").status_code == 401

    client.force_login(agent_alice)
    assert client.get(f"/chat/console/f/{f.pk}/").status_code == 200
    client.force_login(outsider_charlie)  # another team's agent: not his chat, not waiting
    assert client.get(f"/chat/console/f/{f.pk}/").status_code == 404


def test_a_visitor_cannot_post_into_another_visitors_conversation(client, agent_alice):
    _visitor, conv = _active(agent_alice)
    other = services.visitor_start()
    r = _upload(client, other, conv, "a.png", PNG)
    assert (r.status_code, r.json()["code"]) == (404, "conversation_not_found")
    assert not ChatFile.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        (
            "page.png",
            b"<html><script>alert(1)</script></html>",
            415,
            "upload_type_not_allowed",
        ),  # not a PNG inside
        ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", 415, "upload_type_not_allowed"),
        (
            "a.zip",
            b"PK\x03\x04" + b"\x00" * 20,
            415,
            "file_type_not_allowed",
        ),  # the customers checks allow it, chat not
        ("empty.txt", b"", 400, "upload_empty"),
        ("big.png", PNG + b"\x00" * 2000, 413, "file_too_large"),
    ],
)
def test_refused_files(client, agent_alice, settings, name, content, status, code):  # type: ignore[no-untyped-def]
    settings.KEFU_CHAT_FILE_MAX_BYTES = 1024
    visitor, conv = _active(agent_alice)
    r = _upload(client, visitor, conv, name, content)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert not ChatFile.objects.exists()


def test_an_agents_file_is_a_download_for_the_visitor_and_counts_as_the_first_reply(client, agent_alice):
    visitor, conv = _active(agent_alice)
    client.force_login(agent_alice)
    r = client.post(f"/chat/console/c/{conv.pk}/upload/", {"file": SimpleUploadedFile("说明.pdf", PDF)})
    assert r.status_code == 201
    file_id = r.json()["message"]["meta"]["file"]["id"]
    assert Conversation.objects.get(pk=conv.pk).sla_state == "met"
    client.logout()
    got = client.get(f"/chat/f/{file_id}/", {"t": services.visitor_token(visitor)})
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    assert (
        client.post(
            "/chat/upload/", {"token": services.visitor_token(visitor), "conversation": str(conv.pk)}
        ).json()["code"]
        == "file_required"
    )
