"""The WeChat servers' HTTP API as kefu uses it: access_token (fetched once, cached encrypted in
WechatState with its expiry, refreshed 5 minutes early and at once on 40001/40014/42001),
customer-service messages (OA `message/custom/send`, WeCom 微信客服 `kf/send_msg`), WeCom's
`kf/sync_msg` pull and `media/get`. httpx, synchronous, 10 s timeouts; the base URL is the
account's `api_base` (Tencent's by default; the tests and the demo point it at a local stand-in).

One account, one token: fetching a new token makes the old one stop working after 5 minutes, so
the fetch runs under the WechatState row lock and every process reads the stored one."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from django.db import transaction
from django.utils import timezone

from kefu.channels import vault
from kefu.channels.models import ChannelAccount
from kefu.channels.wechat_models import WechatState

OA_BASE = "https://api.weixin.qq.com"
WECOM_BASE = "https://qyapi.weixin.qq.com"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
EARLY = timedelta(minutes=5)
# access_token invalid / not the latest / expired (OA and WeCom share these codes)
TOKEN_ERRORS = {40001, 40014, 42001}
# The customer cannot be reached through the customer-service API any more: the 48-hour window
# passed or they unsubscribed (45015), too many messages in the window (45047), unknown openid
# (40003), not following (43004); WeCom 微信客服's session and quota errors (950xx).
UNDELIVERABLE = {45015, 45047, 40003, 43004}


class WechatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def undeliverable(self) -> bool:
        return self.errcode in UNDELIVERABLE or 95000 <= self.errcode < 96000


def account_secrets(account: ChannelAccount) -> dict[str, str]:
    """{"app_secret", "token", "aes_key"} of a WeChat account (stored together, encrypted)."""
    raw = vault.decrypt(account.secret_encrypted)
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return {k: str(data.get(k, "")) for k in ("app_secret", "token", "aes_key")}


def is_wecom(account: ChannelAccount) -> bool:
    return account.config.get("platform") == "wecom"


def base_url(account: ChannelAccount) -> str:
    return str(account.config.get("api_base") or (WECOM_BASE if is_wecom(account) else OA_BASE)).rstrip("/")


def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, trust_env=False)


def _json(resp: httpx.Response) -> dict[str, Any]:
    resp.raise_for_status()
    data = resp.json()
    if not isinstance(data, dict):
        raise WechatApiError(-1, "answer is not a JSON object")
    code = int(data.get("errcode") or 0)
    if code:
        raise WechatApiError(code, str(data.get("errmsg", "")))
    return data


def fetch_token(account: ChannelAccount) -> tuple[str, int]:
    """A new access_token from the token endpoint: (token, expires_in seconds)."""
    secret = account_secrets(account)["app_secret"]
    cfg = account.config
    with _client() as c:
        if is_wecom(account):
            resp = c.get(f"{base_url(account)}/cgi-bin/gettoken", params={"corpid": cfg.get("corp_id", ""), "corpsecret": secret})
        else:
            resp = c.get(
                f"{base_url(account)}/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": cfg.get("app_id", ""), "secret": secret},
            )
    data = _json(resp)
    token = str(data.get("access_token") or "")
    if not token:
        raise WechatApiError(-1, "no access_token in the answer")
    return token, int(data.get("expires_in") or 7200)


def access_token(account: ChannelAccount, *, stale: str = "") -> str:
    """The account's token: the stored one while it has more than 5 minutes left, else a new one.
    `stale` is a token the API just refused: if it is still the stored one, fetch anew (another
    process may have refreshed it already — then use theirs)."""
    now = timezone.now()
    with transaction.atomic():
        state, _created = WechatState.objects.select_for_update().get_or_create(account=account)
        current = vault.decrypt(state.token_encrypted)
        if current and current != stale and state.token_expires_at and state.token_expires_at - EARLY > now:
            return current
        token, expires_in = fetch_token(account)
        state.token_encrypted = vault.encrypt(token)
        state.token_expires_at = now + timedelta(seconds=expires_in)
        state.token_fetched_at = now
        state.token_fetches += 1
        state.save()
        return token


def call(account: ChannelAccount, method: str, path: str, *, body: dict[str, Any] | None = None,
         params: dict[str, str] | None = None, raw: bool = False) -> Any:
    """One API call with the account's token; a token error refreshes the token and tries once more.
    `raw`: return the response bytes and content type (media/get)."""
    token = access_token(account)
    for attempt in (1, 2):
        with _client() as c:
            resp = c.request(method, f"{base_url(account)}{path}", params={**(params or {}), "access_token": token}, json=body)
        if raw and resp.status_code == 200 and not resp.headers.get("content-type", "").startswith(("application/json", "text/plain")):
            return resp.content, resp.headers.get("content-type", "")
        try:
            return _json(resp)
        except WechatApiError as exc:
            if exc.errcode in TOKEN_ERRORS and attempt == 1:
                token = access_token(account, stale=token)
                continue
            raise
    raise AssertionError("unreachable")


def send_text(account: ChannelAccount, *, to: str, text: str, open_kfid: str = "") -> str:
    """Send a text customer-service message; returns WeChat's msgid when it gives one."""
    if is_wecom(account):
        data = call(account, "POST", "/cgi-bin/kf/send_msg", body={
            "touser": to, "open_kfid": open_kfid or account.config.get("open_kfid", ""), "msgtype": "text",
            "text": {"content": text},
        })
    else:
        data = call(account, "POST", "/cgi-bin/message/custom/send", body={
            "touser": to, "msgtype": "text", "text": {"content": text},
        })
    return str(data.get("msgid", ""))


def sync_msg(account: ChannelAccount, *, cursor: str, sync_token: str, open_kfid: str, limit: int = 1000) -> dict[str, Any]:
    """WeCom 微信客服: pull the messages a kf_msg_or_event callback announced."""
    body: dict[str, Any] = {"cursor": cursor, "limit": limit, "open_kfid": open_kfid}
    if sync_token:
        body["token"] = sync_token
    result: dict[str, Any] = call(account, "POST", "/cgi-bin/kf/sync_msg", body=body)
    return result


def media_get(account: ChannelAccount, media_id: str) -> tuple[bytes, str]:
    """A temporary media file (image, voice) by media_id: (bytes, content type)."""
    result = call(account, "GET", "/cgi-bin/media/get", params={"media_id": media_id}, raw=True)
    if isinstance(result, tuple):
        return result
    raise WechatApiError(-1, "media/get answered JSON without an error")
