"""The WeChat callback protocol against Tencent's documented example vectors (the WXBizMsgCrypt
samples: token QDG6eK, EncodingAESKey jWmYm7…, corpid/appid wx5823bf96d3bd56c7), and table tests of
what must be refused. No database."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from kefu.channels import wechat
from kefu.channels.wechat import WechatProtocolError

TOKEN = "QDG6eK"
KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APPID = "wx5823bf96d3bd56c7"
VERIFY = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589", "nonce": "263014780",
    "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
}
REQ_SIG, REQ_TS, REQ_NONCE = "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149"
REQ_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TU"
    "UkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff"
    "0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVM"
    "NS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2p"
    "DBS8R07+qN+E7Q=="
)
REQ_BODY = (
    f"<xml><ToUserName><![CDATA[{APPID}]]></ToUserName><Encrypt><![CDATA[{REQ_ENCRYPT}]]></Encrypt>"
    "<AgentID><![CDATA[218]]></AgentID></xml>"
).encode()


def test_the_documented_url_verification_decrypts_the_echostr():
    assert wechat.verify_url(query=VERIFY, token=TOKEN, encoding_aes_key=KEY, receive_id=APPID, wecom=True) == "1616140317555161061"


def test_the_documented_message_signature_and_decryption():
    assert wechat.signature(TOKEN, REQ_TS, REQ_NONCE, REQ_ENCRYPT) == REQ_SIG
    cb = wechat.open_callback(
        body=REQ_BODY, query={"msg_signature": REQ_SIG, "timestamp": REQ_TS, "nonce": REQ_NONCE},
        token=TOKEN, encoding_aes_key=KEY, receive_id=APPID, now=int(REQ_TS) + 3, always_encrypted=True,
    )
    m = cb.message
    assert (m.to_user, m.from_user, m.msg_type, m.content, m.msg_id) == (APPID, "mycreate", "text", "hello", "4561255354251345929")
    assert m.dedupe_key == "msg:4561255354251345929"


def test_the_plain_signature_is_sha1_of_the_sorted_parts():
    # Sorted as strings: "1409659589" < "263014780" < "QDG6eK" (digits before capitals).
    expected = hashlib.sha1(b"1409659589263014780QDG6eK").hexdigest()
    assert wechat.signature(TOKEN, "1409659589", "263014780") == expected
    assert wechat.signature("263014780", TOKEN, "1409659589") == expected
    q = {"signature": expected, "timestamp": "1409659589", "nonce": "263014780", "echostr": "abc 123"}
    assert wechat.verify_url(query=q, token=TOKEN, encoding_aes_key="", receive_id="", wecom=False) == "abc 123"


def _decrypt_by_hand(ciphertext: str) -> bytes:
    key = base64.b64decode(KEY + "=")
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    return dec.update(base64.b64decode(ciphertext)) + dec.finalize()


@pytest.mark.parametrize("msg", [b"", b"x", "中文按字节算长度".encode(), b"a" * 11, b"a" * 12, b"b" * 1000])
def test_encryption_layout_is_random_length_message_appid_padded_to_32(msg):
    ct = wechat.encrypt(msg, encoding_aes_key=KEY, receive_id=APPID, random16=b"R" * 16)
    plain = _decrypt_by_hand(ct)
    assert len(plain) % 32 == 0
    pad = plain[-1]
    assert 1 <= pad <= 32 and plain[-pad:] == bytes([pad]) * pad
    body = plain[:-pad]
    assert body[:16] == b"R" * 16 and struct.unpack(">I", body[16:20])[0] == len(msg)
    assert body[20 : 20 + len(msg)] == msg and body[20 + len(msg) :] == APPID.encode()
    assert wechat.decrypt(ct, encoding_aes_key=KEY, receive_id=APPID) == (msg, APPID)


def test_a_message_whose_plaintext_is_exactly_a_block_gets_a_full_padding_block():
    msg = b"m" * (32 - 16 - 4 - len(APPID) + 32)  # 16 + 4 + msg + appid == 64
    plain = _decrypt_by_hand(wechat.encrypt(msg, encoding_aes_key=KEY, receive_id=APPID))
    assert len(plain) == 96 and plain[-32:] == bytes([32]) * 32


def _signed(body_msg: bytes, ts: str = "1700000000", nonce: str = "n1", receive_id: str = APPID, key: str = KEY) -> tuple[bytes, dict[str, str]]:
    enc = wechat.encrypt(body_msg, encoding_aes_key=key, receive_id=receive_id)
    body = wechat.build_xml({"ToUserName": APPID, "Encrypt": enc})
    return body, {"msg_signature": wechat.signature(TOKEN, ts, nonce, enc), "timestamp": ts, "nonce": nonce, "encrypt_type": "aes"}


TEXT = b"<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>"
OTHER_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def _case(name: str) -> tuple[bytes, dict[str, str], float]:
    body, q = _signed(TEXT)
    now = 1700000010.0
    if name == "wrong signature":
        q["msg_signature"] = "0" * 40
    elif name == "no signature":
        del q["msg_signature"]
    elif name == "stale timestamp":
        now = 1700000000 + 301
    elif name == "future timestamp":
        now = 1700000000 - 301
    elif name == "timestamp not a number":
        q["timestamp"] = "soon"
    elif name == "other app":
        body, q = _signed(TEXT, receive_id="wx_other")
    elif name == "other key":
        body, q = _signed(TEXT, key=OTHER_KEY)
    elif name == "malformed xml":
        body = b"<xml><Encrypt>abc</Encrypt"
    elif name == "doctype":
        body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    elif name == "no encrypt element":
        body = b"<xml><ToUserName>gh</ToUserName></xml>"
    elif name == "huge":
        body = b"<xml>" + b" " * (wechat.MAX_BODY_BYTES + 1) + b"</xml>"
    return body, q, now


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("wrong signature", "bad_signature"), ("no signature", "bad_signature"), ("stale timestamp", "stale_timestamp"),
        ("future timestamp", "stale_timestamp"), ("timestamp not a number", "bad_timestamp"),
        ("other app", "wrong_receiver"), ("malformed xml", "bad_xml"),
        ("doctype", "bad_xml"), ("no encrypt element", "bad_xml"), ("huge", "too_large"),
    ],
)
def test_forged_or_broken_callbacks_are_refused(case, code):
    body, q, now = _case(case)
    with pytest.raises(WechatProtocolError) as err:
        wechat.open_callback(body=body, query=q, token=TOKEN, encoding_aes_key=KEY, receive_id=APPID, now=now)
    assert err.value.code == code


def test_a_ciphertext_signed_right_but_with_the_wrong_key_fails_on_padding_or_length():
    enc = wechat.encrypt(TEXT, encoding_aes_key=OTHER_KEY, receive_id=APPID)
    with pytest.raises(WechatProtocolError) as err:
        wechat.decrypt(enc, encoding_aes_key=KEY, receive_id=APPID)
    assert err.value.code in ("bad_padding", "bad_ciphertext", "wrong_receiver")


@pytest.mark.parametrize("key", ["short", KEY + "A", "!" * 43])
def test_bad_encoding_aes_keys_are_refused(key):
    with pytest.raises(WechatProtocolError):
        wechat.aes_key(key)


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (TEXT, {"msg_type": "text", "content": "hi", "dedupe_key": "msg:1"}),
        (b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>5</CreateTime><MsgType>image</MsgType>"
         b"<PicUrl>http://x/p.jpg</PicUrl><MediaId>M1</MediaId><MsgId>2</MsgId></xml>",
         {"msg_type": "image", "media_id": "M1", "pic_url": "http://x/p.jpg"}),
        (b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>5</CreateTime><MsgType>voice</MsgType>"
         b"<MediaId>V1</MediaId><Format>amr</Format><Recognition>\xe4\xbd\xa0\xe5\xa5\xbd</Recognition><MsgId>3</MsgId></xml>",
         {"msg_type": "voice", "media_id": "V1", "voice_format": "amr", "recognition": "你好"}),
        (b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>7</CreateTime><MsgType>event</MsgType>"
         b"<Event>subscribe</Event><EventKey></EventKey></xml>",
         {"event": "subscribe", "dedupe_key": "evt:o1:7:subscribe"}),
        (b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>8</CreateTime><MsgType>event</MsgType>"
         b"<Event>unsubscribe</Event></xml>", {"event": "unsubscribe"}),
        (b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>9</CreateTime><MsgType>location</MsgType>"
         b"<Location_X>31.2</Location_X><Location_Y>121.4</Location_Y><Label>\xe4\xb8\x8a\xe6\xb5\xb7</Label><MsgId>4</MsgId></xml>",
         {"location": "上海 (31.2, 121.4)"}),
        (b"<xml><ToUserName>ww1</ToUserName><CreateTime>9</CreateTime><MsgType>event</MsgType><Event>kf_msg_or_event</Event>"
         b"<Token>ENC_TOKEN</Token><OpenKfId>wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw</OpenKfId></xml>",
         {"event": "kf_msg_or_event", "sync_token": "ENC_TOKEN", "open_kfid": "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw"}),
    ],
)
def test_inbound_message_kinds(xml, expected):
    m = wechat.message_from_xml(wechat.parse_xml(xml))
    for k, v in expected.items():
        assert getattr(m, k) == v, k


def test_cdata_with_the_terminator_round_trips():
    fields = wechat.parse_xml(wechat.build_xml({"Content": "a]]>b", "CreateTime": 3}))
    assert fields == {"Content": "a]]>b", "CreateTime": "3"}
