"""A local stand-in for Aliyun's SMS API (dysmsapi, RPC style, signature version 1.0), in a thread.

It checks each request the way Aliyun does, written here independently of kefu.channels.sms: the
form parameters minus `Signature`, each name and value percent-encoded (RFC 3986: only A–Z a–z 0–9
- _ . ~ kept), sorted, joined with & and =; StringToSign = "POST&%2F&" + percent-encoded query;
expected = Base64(HMAC-SHA1(secret + "&", StringToSign)). It answers SendSms and QuerySmsSign in
Aliyun's JSON shape, and `SignatureDoesNotMatch` / `isv.*` codes the way the real service does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

_KEEP = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _enc(text: str) -> str:
    return "".join(chr(b) if b in _KEEP else f"%{b:02X}" for b in text.encode("utf-8"))


def expected_signature(params: dict[str, str], secret: str) -> str:
    query = "&".join(f"{_enc(k)}={_enc(params[k])}" for k in sorted(params) if k != "Signature")
    to_sign = "POST&" + _enc("/") + "&" + _enc(query)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@dataclass
class StandIn:
    url: str
    key_id: str
    secret: str
    sent: list[dict[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)  # codes to answer the next SendSms calls with


@contextmanager
def aliyun_sms(key_id: str = "LTAI-test-key", secret: str = "aliyun-secret-abc") -> Iterator[StandIn]:
    state = StandIn(url="", key_id=key_id, secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            params = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
            rid = str(uuid.uuid4())
            if params.get("AccessKeyId") != state.key_id:
                state.refused.append("InvalidAccessKeyId.NotFound")
                return self._answer(404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.", "RequestId": rid})
            if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0" \
                    or params.get("Signature") != expected_signature(params, state.secret):
                state.refused.append("SignatureDoesNotMatch")
                return self._answer(400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched with our calculation.", "RequestId": rid})
            action = params.get("Action")
            if action == "QuerySmsSign":
                return self._answer(200, {"Code": "OK", "Message": "OK", "SignStatus": 1, "SignName": params.get("SignName"), "RequestId": rid})
            if action != "SendSms" or params.get("Version") != "2017-05-25":
                return self._answer(400, {"Code": "InvalidAction.NotFound", "Message": "bad action", "RequestId": rid})
            if state.fail_next:
                code = state.fail_next.pop(0)
                return self._answer(200, {"Code": code, "Message": "refused by the stand-in", "RequestId": rid})
            json.loads(params["TemplateParam"])  # must be JSON, as Aliyun requires
            state.sent.append(params)
            return self._answer(200, {"Code": "OK", "Message": "OK", "BizId": f"{len(state.sent)}^{rid[:8]}", "RequestId": rid})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
