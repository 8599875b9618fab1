"""The WeChat callback protocol, as documented by Tencent for the Official Account (公众号) and WeCom
(企业微信, 微信客服): no database, no HTTP — pure functions the callback views and the tests use.

- URL verification: signature = SHA-1 of the sorted, concatenated (token, timestamp, nonce) — with
  the encrypted message as a fourth part for `msg_signature` (safe mode and every WeCom callback).
- Safe mode (安全模式): AES-256-CBC, key = base64(EncodingAESKey + "="), IV = the key's first 16
  bytes, PKCS#7 padding to 32 bytes; the plaintext is random(16) + msg_len (4 bytes, network order)
  + msg + appid (WeCom: corpid). Built on `cryptography` (already a dependency for the vault): the
  algorithm is a page of code and Tencent's own example vectors pin it (tests/test_wechat_crypto.py).
- Inbound XML: text, image, voice, location, event (subscribe, unsubscribe, CLICK, VIEW, LOCATION)
  and WeCom's kf_msg_or_event. Parsed with the standard library after refusing any DOCTYPE (no
  entities, so no billion laughs and no external entities).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16
# Callbacks older (or newer) than this are refused as replays; WeChat's own retries come within
# 15 s of each other, so 5 minutes leaves room for a slow clock.
MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 256 * 1024


class WechatProtocolError(Exception):
    """A callback that does not follow the protocol: bad signature, stale, undecryptable, bad XML.
    `code` is stable (the failure list and the tests use it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def signature(*parts: str) -> str:
    """SHA-1 hex of the parts sorted as byte strings and joined (the documented signature)."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(expected: str, *parts: str) -> None:
    if not expected or not hmac.compare_digest(signature(*parts), expected.lower()):
        raise WechatProtocolError("bad_signature", "signature does not match")


def check_timestamp(timestamp: str, now: float) -> None:
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        raise WechatProtocolError("bad_timestamp", "timestamp is not a number") from None
    if abs(now - ts) > MAX_SKEW_SECONDS:
        raise WechatProtocolError("stale_timestamp", f"timestamp {ts} is {int(now - ts)} s away from now")


def aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != 43:
        raise WechatProtocolError("bad_key", "EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except ValueError:
        raise WechatProtocolError("bad_key", "EncodingAESKey is not base64") from None
    if len(key) != 32:
        raise WechatProtocolError("bad_key", "EncodingAESKey does not decode to 32 bytes")
    return key


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    if not data:
        raise WechatProtocolError("bad_padding", "empty plaintext")
    n = data[-1]
    if not 1 <= n <= BLOCK or data[-n:] != bytes([n]) * n:
        raise WechatProtocolError("bad_padding", "PKCS#7 padding is wrong")
    return data[:-n]


def encrypt(msg: bytes, *, encoding_aes_key: str, receive_id: str, random16: bytes | None = None) -> str:
    key = aes_key(encoding_aes_key)
    rnd = random16 if random16 is not None else os.urandom(16)
    plain = _pad(rnd + struct.pack(">I", len(msg)) + msg + receive_id.encode())
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def decrypt(ciphertext: str, *, encoding_aes_key: str, receive_id: str | None) -> tuple[bytes, str]:
    """(msg, receive id). With `receive_id` given, a different appid/corpid is refused (a message
    for another app signed with a leaked key)."""
    key = aes_key(encoding_aes_key)
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except ValueError:
        raise WechatProtocolError("bad_ciphertext", "not base64") from None
    if not raw or len(raw) % 16:
        raise WechatProtocolError("bad_ciphertext", "not a whole number of AES blocks")
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = _unpad(dec.update(raw) + dec.finalize())
    if len(plain) < 20:
        raise WechatProtocolError("bad_ciphertext", "too short")
    (n,) = struct.unpack(">I", plain[16:20])
    if 20 + n > len(plain):
        raise WechatProtocolError("bad_ciphertext", "message length runs past the end")
    msg, rid = plain[20 : 20 + n], plain[20 + n :].decode("utf-8", errors="replace")
    if receive_id is not None and rid != receive_id:
        raise WechatProtocolError("wrong_receiver", f"message is for {rid!r}, not this account")
    return msg, rid


# --- XML -------------------------------------------------------------------------------------------


def parse_xml(body: bytes) -> dict[str, str]:
    """The flat <xml><Tag>value</Tag>…</xml> of a callback as a dict (nested tags as "Outer.Inner")."""
    if len(body) > MAX_BODY_BYTES:
        raise WechatProtocolError("too_large", "callback body too large")
    head = body[:2048].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in body.upper():
        raise WechatProtocolError("bad_xml", "DOCTYPE and entities are refused")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise WechatProtocolError("bad_xml", f"malformed XML: {exc}") from None
    out: dict[str, str] = {}
    for child in root:
        if len(child):
            for sub in child:
                out[f"{child.tag}.{sub.tag}"] = (sub.text or "").strip()
        else:
            out[child.tag] = (child.text or "").strip()
    return out


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: dict[str, str | int]) -> bytes:
    parts = []
    for k, v in fields.items():
        parts.append(f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}>{_cdata(v)}</{k}>")
    return ("<xml>" + "".join(parts) + "</xml>").encode()


def encrypted_envelope(msg: bytes, *, token: str, encoding_aes_key: str, receive_id: str, timestamp: str, nonce: str) -> bytes:
    """What WeChat POSTs in safe mode (and what a passive encrypted reply looks like)."""
    enc = encrypt(msg, encoding_aes_key=encoding_aes_key, receive_id=receive_id)
    return build_xml({
        "ToUserName": receive_id, "Encrypt": enc, "MsgSignature": signature(token, timestamp, nonce, enc),
        "TimeStamp": int(timestamp), "Nonce": nonce,
    })


# --- messages --------------------------------------------------------------------------------------


@dataclass
class InboundMessage:
    """One parsed callback message (OA) — or, for WeCom 微信客服, the kf_msg_or_event notice whose
    `sync_token` is used to pull the real messages with kf/sync_msg."""

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    msg_id: str = ""
    content: str = ""
    media_id: str = ""
    pic_url: str = ""
    voice_format: str = ""
    recognition: str = ""
    location: str = ""
    event: str = ""
    event_key: str = ""
    open_kfid: str = ""
    sync_token: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        """MsgId for messages; FromUserName + CreateTime (+ event) for events, as documented."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"evt:{self.from_user}:{self.create_time}:{self.event}"


def message_from_xml(fields: dict[str, str]) -> InboundMessage:
    try:
        created = int(fields.get("CreateTime") or 0)
    except ValueError:
        created = 0
    msg_type = fields.get("MsgType", "")
    location = ""
    if msg_type == "location":
        location = f"{fields.get('Label', '')} ({fields.get('Location_X', '')}, {fields.get('Location_Y', '')})".strip()
    return InboundMessage(
        to_user=fields.get("ToUserName", ""), from_user=fields.get("FromUserName", ""), create_time=created,
        msg_type=msg_type, msg_id=fields.get("MsgId", ""), content=fields.get("Content", ""),
        media_id=fields.get("MediaId", ""), pic_url=fields.get("PicUrl", ""), voice_format=fields.get("Format", ""),
        recognition=fields.get("Recognition", ""), location=location, event=fields.get("Event", ""),
        event_key=fields.get("EventKey", ""), open_kfid=fields.get("OpenKfId", ""), sync_token=fields.get("Token", ""),
        extra=fields,
    )


@dataclass
class Callback:
    """A verified, decrypted callback: the message and the exact plaintext XML (kept on the contact)."""

    message: InboundMessage
    plain: bytes


def open_callback(
    *, body: bytes, query: dict[str, str], token: str, encoding_aes_key: str, receive_id: str, now: float,
    always_encrypted: bool = False,
) -> Callback:
    """Verify and open one POSTed callback. Plain mode (OA only): `signature` over token, timestamp,
    nonce. Safe/compatible mode (`encrypt_type=aes`) and every WeCom callback: `msg_signature` over
    those and the <Encrypt> text, then AES. Stale timestamps are refused as replays."""
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    check_timestamp(timestamp, now)
    outer = parse_xml(body)
    encrypted = always_encrypted or query.get("encrypt_type") == "aes" or ("Encrypt" in outer and "MsgType" not in outer)
    if encrypted:
        enc = outer.get("Encrypt", "")
        if not enc:
            raise WechatProtocolError("bad_xml", "no <Encrypt> element")
        if not encoding_aes_key:
            raise WechatProtocolError("bad_key", "the account has no EncodingAESKey for safe mode")
        check_signature(query.get("msg_signature", ""), token, timestamp, nonce, enc)
        plain, _rid = decrypt(enc, encoding_aes_key=encoding_aes_key, receive_id=receive_id or None)
    else:
        check_signature(query.get("signature", ""), token, timestamp, nonce)
        plain = body
    return Callback(message=message_from_xml(parse_xml(plain)), plain=plain)


def verify_url(
    *, query: dict[str, str], token: str, encoding_aes_key: str, receive_id: str, wecom: bool
) -> str:
    """The echostr to answer the GET that verifies the callback URL. OA: `signature` over token,
    timestamp, nonce, answer echostr as is. WeCom: `msg_signature` over those and the encrypted
    echostr, answer it decrypted."""
    timestamp, nonce, echostr = query.get("timestamp", ""), query.get("nonce", ""), query.get("echostr", "")
    if not echostr:
        raise WechatProtocolError("bad_request", "no echostr")
    if wecom:
        check_signature(query.get("msg_signature", ""), token, timestamp, nonce, echostr)
        plain, _rid = decrypt(echostr, encoding_aes_key=encoding_aes_key, receive_id=receive_id or None)
        return plain.decode("utf-8", errors="replace")
    check_signature(query.get("signature", ""), token, timestamp, nonce)
    return echostr
