"""A local stand-in for the WeCom and DingTalk group-robot webhooks that checks a request the way the
real robot does and answers in its format ({"errcode", "errmsg"}, HTTP 200 either way).

WeCom  /cgi-bin/webhook/send?key=K          msgtype text|markdown|file; markdown.content ≤ 4096 bytes;
       /cgi-bin/webhook/upload_media?key=K&type=file   multipart field "media" → media_id
DingTalk /robot/send?access_token=T&timestamp=ms&sign=S   sign = base64(HMAC-SHA256(secret,
       "ts\\nsecret")), timestamp within an hour; msgtype text|markdown(title, text)|link|actionCard."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Robots:
    port: int
    wecom_key: str = "wecom-key-1"
    ding_token: str = "ding-token-1"
    ding_secret: str = "SECdingsecret"
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (kind, body) accepted
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # media_id -> (filename, bytes)
    fail_next: int = 0  # refuse this many sends first as the robots do when over their rate limit

    @property
    def wecom_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key={self.wecom_key}"

    @property
    def ding_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/robot/send?access_token={self.ding_token}"


def _check_wecom(body: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> tuple[int, str]:
    kind = body.get("msgtype")
    if kind == "text":
        return (0, "ok") if body.get("text", {}).get("content") else (44004, "empty content")
    if kind == "markdown":
        content = body.get("markdown", {}).get("content", "")
        if not content:
            return 44004, "empty content"
        if len(content.encode("utf-8")) > 4096:
            return 40058, "markdown.content exceed max length 4096"
        return 0, "ok"
    if kind == "file":
        return (0, "ok") if body.get("file", {}).get("media_id") in files else (40007, "invalid media_id")
    return 40008, "invalid message type"


def _check_ding(body: dict[str, Any]) -> tuple[int, str]:
    kind = body.get("msgtype")
    if kind == "text":
        return (0, "ok") if body.get("text", {}).get("content") else (300001, "param error")
    if kind == "markdown":
        md = body.get("markdown", {})
        return (0, "ok") if md.get("title") and md.get("text") else (300001, "param error: markdown needs title and text")
    if kind in ("link", "actionCard", "feedCard"):
        return 0, "ok"
    return 300001, "param error: msgtype"


def _handler(robots: Robots) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, kind: str, code: int, msg: str, extra: dict[str, Any] | None = None) -> None:
            if code:
                robots.refused.append((kind, code, msg))
            data = json.dumps({"errcode": code, "errmsg": msg, **(extra or {})}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if parts.path == "/cgi-bin/webhook/upload_media":
                if q.get("key") != robots.wecom_key:
                    return self._answer("wecom", 93000, "invalid webhook url")
                if q.get("type") != "file":
                    return self._answer("wecom", 40004, "invalid media type")
                msg = BytesParser(policy=HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw
                )
                media = [p for p in msg.iter_parts() if p.get_param("name", header="content-disposition") == "media"]
                if not media:
                    return self._answer("wecom", 41001, "missing media")
                media_id = uuid.uuid4().hex
                robots.files[media_id] = (media[0].get_filename() or "", media[0].get_payload(decode=True) or b"")
                return self._answer("wecom", 0, "ok", {"type": "file", "media_id": media_id, "created_at": str(int(time.time()))})
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                return self._answer("robot", 40001, "invalid json")
            if robots.fail_next > 0 and parts.path in ("/cgi-bin/webhook/send", "/robot/send"):
                robots.fail_next -= 1
                kind = "wecom" if parts.path.startswith("/cgi-bin") else "dingtalk"
                return self._answer(kind, 45009 if kind == "wecom" else 130101, "api freq out of limit")
            if parts.path == "/cgi-bin/webhook/send":
                if q.get("key") != robots.wecom_key:
                    return self._answer("wecom", 93000, "invalid webhook url")
                code, msg = _check_wecom(body, robots.files)
                if not code:
                    robots.received.append(("wecom", body))
                return self._answer("wecom", code, msg)
            if parts.path == "/robot/send":
                if q.get("access_token") != robots.ding_token:
                    return self._answer("dingtalk", 300001, "token is not exist")
                ts = q.get("timestamp", "")
                if not ts.isdigit() or abs(int(ts) - time.time() * 1000) > 3600 * 1000:
                    return self._answer("dingtalk", 310000, "invalid timestamp")
                want = base64.b64encode(
                    hmac.new(robots.ding_secret.encode(), f"{ts}\n{robots.ding_secret}".encode(), hashlib.sha256).digest()
                ).decode()
                if not hmac.compare_digest(q.get("sign", ""), want):
                    return self._answer("dingtalk", 310000, "sign not match")
                code, msg = _check_ding(body)
                if not code:
                    robots.received.append(("dingtalk", body))
                return self._answer("dingtalk", code, msg)
            self.send_response(404)
            self.end_headers()
            return None

    return Handler


@contextmanager
def robot_server() -> Iterator[Robots]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Robots(port=0)))
    robots = Robots(port=int(server.server_address[1]))
    server.RequestHandlerClass = _handler(robots)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield robots
    finally:
        server.shutdown()
        server.server_close()
