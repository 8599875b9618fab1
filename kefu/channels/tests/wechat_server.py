"""A local stand-in for Tencent's API servers (api.weixin.qq.com / qyapi.weixin.qq.com), speaking
the documented protocol: token endpoints with expiry, customer-service send endpoints with their
errcodes, WeCom kf/sync_msg with cursors, media/get. Runs in a thread on a free port; the channel
code talks to it over real HTTP through httpx (nothing of ours is mocked)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 64
AMR = b"#!AMR\n" + b"\x3c" * 64


@dataclass
class Tencent:
    app_id: str = "wx_test_app"
    secret: str = "app-secret"
    corp_id: str = "ww_test_corp"
    corp_secret: str = "corp-secret"
    expires_in: int = 7200
    url: str = ""
    tokens_issued: list[str] = field(default_factory=list)
    valid: dict[str, float] = field(default_factory=dict)  # token -> expiry (time.time())
    sent: list[dict[str, Any]] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)  # openids answered 45015
    fail_next_sends: int = 0  # answer HTTP 503 to that many sends
    kf_messages: list[dict[str, Any]] = field(default_factory=list)  # what sync_msg hands out
    media: dict[str, tuple[bytes, str]] = field(default_factory=lambda: {"M_IMG": (JPEG, "image/jpeg"), "M_VOICE": (AMR, "audio/amr")})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> str:
        with self.lock:
            token = f"ACCESS_TOKEN_{len(self.tokens_issued) + 1}"
            self.tokens_issued.append(token)
            self.valid[token] = time.time() + self.expires_in
        return token

    def expire_all(self) -> None:
        with self.lock:
            for t in self.valid:
                self.valid[t] = 0

    def revoke_all(self) -> None:
        with self.lock:
            self.valid.clear()

    def check(self, token: str) -> dict[str, Any] | None:
        with self.lock:
            exp = self.valid.get(token)
        if exp is None:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if exp < time.time():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, data: dict[str, Any], status: int = 200) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        t: Tencent = self.server.tencent
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if u.path == "/cgi-bin/token":
            if q.get("grant_type") != "client_credential" or q.get("appid") != t.app_id:
                return self._json({"errcode": 40013, "errmsg": "invalid appid"})
            if q.get("secret") != t.secret:
                return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
            return self._json({"access_token": t.issue(), "expires_in": t.expires_in})
        if u.path == "/cgi-bin/gettoken":
            if q.get("corpid") != t.corp_id:
                return self._json({"errcode": 40013, "errmsg": "invalid corpid"})
            if q.get("corpsecret") != t.corp_secret:
                return self._json({"errcode": 40001, "errmsg": "invalid credential"})
            return self._json({"errcode": 0, "errmsg": "ok", "access_token": t.issue(), "expires_in": t.expires_in})
        if u.path == "/cgi-bin/media/get":
            err = t.check(q.get("access_token", ""))
            if err:
                return self._json(err)
            item = t.media.get(q.get("media_id", ""))
            if item is None:
                return self._json({"errcode": 40007, "errmsg": "invalid media_id"})
            self.send_response(200)
            self.send_header("Content-Type", item[1])
            self.send_header("Content-Length", str(len(item[0])))
            self.end_headers()
            self.wfile.write(item[0])
            return None
        return self._json({"errcode": 404, "errmsg": "no such path"}, 404)

    def do_POST(self) -> None:  # noqa: N802
        t: Tencent = self.server.tencent
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        err = t.check(q.get("access_token", ""))
        if err:
            return self._json(err)
        if u.path in ("/cgi-bin/message/custom/send", "/cgi-bin/kf/send_msg"):
            with t.lock:
                if t.fail_next_sends > 0:
                    t.fail_next_sends -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
            if body.get("touser") in t.unreachable:
                return self._json({"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"})
            if u.path.endswith("kf/send_msg") and not body.get("open_kfid"):
                return self._json({"errcode": 95000, "errmsg": "invalid open_kfid"})
            with t.lock:
                t.sent.append({"path": u.path, **body})
            return self._json({"errcode": 0, "errmsg": "ok", **({"msgid": f"MSG{len(t.sent)}"} if "kf" in u.path else {})})
        if u.path == "/cgi-bin/kf/sync_msg":
            cursor = int(body.get("cursor") or 0)
            limit = int(body.get("limit") or 1000)
            page = t.kf_messages[cursor : cursor + limit]
            nxt = cursor + len(page)
            return self._json({"errcode": 0, "errmsg": "ok", "next_cursor": str(nxt), "has_more": int(nxt < len(t.kf_messages)), "msg_list": page})
        return self._json({"errcode": 404, "errmsg": "no such path"}, 404)


@contextmanager
def tencent_server() -> Iterator[Tencent]:
    t = Tencent()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.tencent = t  # type: ignore[attr-defined]
    t.url = f"http://127.0.0.1:{srv.server_address[1]}"
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        yield t
    finally:
        srv.shutdown()
        srv.server_close()
