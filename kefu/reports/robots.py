"""WeCom (企业微信) and DingTalk (钉钉) group robots, in their documented webhook formats.

WeCom: POST the webhook (…/cgi-bin/webhook/send?key=KEY) with
``{"msgtype": "markdown", "markdown": {"content": …}}`` (content at most 4096 bytes); a file is first
uploaded to …/webhook/upload_media?key=KEY&type=file (multipart, field ``media``), whose answer gives a
``media_id`` sent as ``{"msgtype": "file", "file": {"media_id": …}}``.
DingTalk: POST the webhook (…/robot/send?access_token=TOKEN) with
``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``; a robot with 加签 (signing) also
needs ``&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256(secret, f"{timestamp}\\n{secret}")>``,
and refuses a timestamp more than an hour off. Both answer HTTP 200 with ``{"errcode": 0, "errmsg":
"ok"}``; anything else in errcode is a failure (RobotError with the robot's own message)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
import uuid
from typing import Any

WECOM_MARKDOWN_LIMIT = 4096


class RobotError(RuntimeError):
    pass


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256 with the secret as key over "timestamp\\nsecret")."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_url(url: str, secret: str, *, now_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = now_ms if now_ms is not None else int(time.time() * 1000)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={ts}&sign={urllib.parse.quote_plus(dingtalk_sign(secret, ts))}"


def _answer(raw: bytes, what: str) -> dict[str, Any]:
    try:
        body: dict[str, Any] = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RobotError(f"{what}: not a JSON answer") from exc
    if body.get("errcode") != 0:
        raise RobotError(f"{what}: {body.get('errcode')} {body.get('errmsg', '')}".strip())
    return body


def _post(url: str, data: bytes, content_type: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type}, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - admins' robot URLs
        raw: bytes = response.read()
        return raw


def post_json(url: str, payload: dict[str, Any], *, timeout: float = 10.0) -> dict[str, Any]:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return _answer(_post(url, data, "application/json; charset=utf-8", timeout), "robot")


def _cut(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 4].decode("utf-8", "ignore") + "\n…"


def wecom_markdown(url: str, content: str) -> dict[str, Any]:
    return post_json(url, {"msgtype": "markdown", "markdown": {"content": _cut(content, WECOM_MARKDOWN_LIMIT)}})


def wecom_upload_url(send_url: str) -> str:
    parts = urllib.parse.urlsplit(send_url)
    path = parts.path.rsplit("/", 1)[0] + "/upload_media"
    query = urllib.parse.parse_qsl(parts.query) + [("type", "file")]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, urllib.parse.urlencode(query), ""))


def wecom_file(url: str, filename: str, content: bytes, *, timeout: float = 30.0) -> dict[str, Any]:
    """Upload a file to the robot and post it to the group."""
    boundary = uuid.uuid4().hex
    quoted = urllib.parse.quote(filename)
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{quoted}\"; "
        f"filelength={len(content)}\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    answer = _answer(_post(wecom_upload_url(url), body, f"multipart/form-data; boundary={boundary}", timeout), "upload")
    return post_json(url, {"msgtype": "file", "file": {"media_id": answer["media_id"]}})


def dingtalk_markdown(url: str, secret: str, title: str, text: str) -> dict[str, Any]:
    return post_json(dingtalk_url(url, secret), {"msgtype": "markdown", "markdown": {"title": title, "text": text}})
