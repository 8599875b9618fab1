"""Mail as it really arrives in a Chinese mailbox, parsed into what a ticket needs. Pure: no ORM.

- Charsets: GB2312 is declared for GBK/GB18030 bytes more often than not, so every GB label is
  decoded as GB18030 (a strict superset); Big5 as Big5-HKSCS; an undeclared or wrong charset is
  tried as UTF-8, then GB18030, then Big5, and only then replaced.
- Headers: RFC 2047 words split inside a character, with a wrong charset, without their closing
  `?=`, with bad base64 padding, or raw 8-bit bytes with no encoding at all; RFC 2231 filenames.
- Bodies: text/plain preferred; HTML-only mail becomes plain text through nh3 (scripts and styles
  dropped with their content); quoted history (原始邮件, 写道, Outlook's 发件人/From block, `>`
  lines) and signatures (`-- `, 发自我的iPhone) are cut off.
- Attachments and inline images come out as (name, bytes); TNEF winmail.dat is left as it is.
- Noise: Auto-Submitted, Precedence bulk/junk/list/auto_reply, X-Autoreply/X-Autorespond and
  bounces (multipart/report, MAILER-DAEMON, an empty Return-Path) are flagged with the reason.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.utils
import hashlib
import html
import quopri
import re
from dataclasses import dataclass, field
from email.message import Message

import nh3

GB = {"gb2312", "gb_2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "gb18030", "euc-cn", "csgb2312", "x-euc-cn", "chinese", "hz-gb-2312"}
BIG5 = {"big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "big5-hkscs", "cp950"}
FALLBACKS = ("utf-8", "gb18030", "big5hkscs")


def norm_charset(label: str | None) -> str | None:
    if not label:
        return None
    c = label.strip().strip('"').lower()
    if c in GB:
        return "gb18030"
    if c in BIG5:
        return "big5hkscs"
    if c in ("utf8", "unicode-1-1-utf-8"):
        return "utf-8"
    if c in ("us-ascii", "ascii", "ansi_x3.4-1968"):
        return "utf-8"  # 8-bit bytes under an ASCII label are nearly always UTF-8 or GBK: try those
    try:
        "".encode(c)
    except LookupError:
        return None
    return c


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset (normalised), else the fallbacks, else with replacement."""
    first = norm_charset(charset)
    tried = [first] if first else []
    for cs in (*tried, *FALLBACKS):
        try:
            return data.decode(cs)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(first or "gb18030", errors="replace")


# --- headers ----------------------------------------------------------------------------------------

# An encoded word; the closing ?= may be missing at the end of the header (some mailers cut it).
_EW = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)(?:\?=|$)")
_SPACE_BETWEEN = re.compile(r"(\?=)\s+(=\?)")


def _ew_bytes(enc: str, text: str) -> bytes:
    if enc in "bB":
        text = re.sub(r"[^A-Za-z0-9+/]", "", text)
        text += "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text)
        except (binascii.Error, ValueError):
            return b""
    return quopri.decodestring(text.replace("_", " ").encode("latin-1", "replace"), header=False)


def _raw_text(value: str) -> str:
    """A header read with surrogateescape (undeclared 8-bit bytes): decode those bytes properly."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    return value


def decode_header(value: str | None) -> str:
    """A header as text, however broken its encoding."""
    if value is None:
        return ""
    value = _raw_text(str(value))
    value = re.sub(r"\r?\n[ \t]", " ", value)
    value = _SPACE_BETWEEN.sub(r"\1\2", value)  # whitespace between encoded words is not text
    out: list[str] = []
    pending: list[bytes] = []
    pending_cs: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_cs
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_cs))
        pending, pending_cs = [], None

    for m in _EW.finditer(value):
        if m.start() > pos:
            flush()
            out.append(value[pos : m.start()])
        cs = m.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        if pending and norm_charset(cs) != norm_charset(pending_cs):
            flush()
        # Adjacent words of one charset are joined as bytes: a character split between two
        # words decodes whole.
        pending.append(_ew_bytes(m.group(2), m.group(3)))
        pending_cs = cs
        pos = m.end()
    flush()
    out.append(value[pos:])
    return "".join(out).strip()


def _hdr(msg: Message, name: str) -> str | None:
    """The raw header value (surrogate-escaped 8-bit bytes intact): compat32's get() would wrap
    undeclared 8-bit text in a Header that has already lost the bytes."""
    lname = name.lower()
    for key, value in msg._headers:  # type: ignore[attr-defined]  # the only place the raw value survives
        if key.lower() == lname:
            return value if isinstance(value, str) else str(value)
    return None


def _addresses(value: str | None) -> list[tuple[str, str]]:
    if not value:
        return []
    return [(decode_header(n), a.strip().lower()) for n, a in email.utils.getaddresses([_raw_text(str(value))]) if a]


def _ids(value: str | None) -> list[str]:
    return [m.strip() for m in re.findall(r"<([^<>\s]+)>", str(value or ""))]


# --- bodies -----------------------------------------------------------------------------------------

_QUOTE_START = [
    re.compile(r"^\s*-{2,}\s*(原始邮件|原始郵件|Original Message|Original|转发邮件|Forwarded message)\s*-{2,}", re.I),
    re.compile(r"^\s*在\s.{4,80}(写道|寫道)\s*[:：]?\s*$"),
    re.compile(r"^\s*On\s.{4,120}wrote:\s*$"),
    re.compile(r"^\s*\d{4}[-/年]\d{1,2}[-/月]\d{1,2}.{0,60}(写道|寫道|wrote)\s*[:：]?\s*$"),
    re.compile(r"^\s*(发件人|發件人|From)\s*[:：].+$"),
    re.compile(r"^\s*_{10,}\s*$"),
]
_SIGNATURE = [
    re.compile(r"^--\s?$"),
    re.compile(r"^\s*(发自我的|來自我的|发自|Sent from my)\s?(iPhone|iPad|Android|华为|小米|手机|网易邮箱|QQ邮箱|Mail)", re.I),
    re.compile(r"^\s*(来自|發自)\s?(QQ邮箱|网易邮箱大师|企业微信)"),
]


def trim_reply(text: str) -> str:
    """Cut quoted history and the signature off a customer's text; keep all when nothing is left."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _QUOTE_START):
            # Outlook's "From:" block counts only when a Sent/发送时间 line follows.
            if re.match(r"^\s*(发件人|發件人|From)\s*[:：]", line):
                nxt = " ".join(lines[i + 1 : i + 3])
                if not re.search(r"(发送时间|發送時間|Sent|Date|日期|时间)\s*[:：]", nxt):
                    continue
            cut = i
            break
        if any(p.match(line) for p in _SIGNATURE):
            cut = i
            break
    kept = lines[:cut]
    while kept and (kept[-1].startswith(">") or not kept[-1].strip()):
        kept.pop()
    body = "\n".join(line.rstrip() for line in kept).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    return body or text.strip()


_BLOCK = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h[1-6]|/table|hr)\b[^>]*>", re.I)
_HTML_QUOTE = re.compile(
    r"<(blockquote|div)[^>]*(gmail_quote|divRplyFwdMsg|type=\"?cite|yahoo_quoted|moz-cite-prefix|ntes-mailmaster-quote)[^>]*>.*",
    re.I | re.S,
)


def html_to_text(markup: str) -> str:
    """HTML (sanitised: nothing of it is kept as markup) to plain text, quoted history dropped."""
    markup = _HTML_QUOTE.sub("", markup)
    markup = _BLOCK.sub("\n", markup)
    cleaned = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head", "title"}, attributes={})
    text = html.unescape(cleaned).replace("\xa0", " ")
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- the message ------------------------------------------------------------------------------------


@dataclass
class MailAttachment:
    name: str
    content_type: str
    content: bytes
    inline: bool = False


@dataclass
class ParsedMail:
    message_id: str
    subject: str
    from_name: str
    from_addr: str
    to: list[str]
    reply_to: str
    in_reply_to: list[str]
    references: list[str]
    body: str
    attachments: list[MailAttachment] = field(default_factory=list)
    noise: str = ""  # why this mail must not open a ticket nor get an answer ("" = a real mail)
    html_only: bool = False

    @property
    def thread_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


_EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "application/pdf": ".pdf", "text/plain": ".txt"}


def _filename(part: Message) -> str:
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = part.get_param(param, header=header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, value read as latin-1)
            cs, _lang, val = value
            return decode_bytes(str(val).encode("latin-1", "surrogateescape"), cs or None).strip()
        raw = _hdr(part, header)
        if raw is None:
            continue
        # From the raw header, so 8-bit names (GBK or UTF-8 bytes, no encoding) keep their bytes.
        m = re.search(rf'(?:^|;)\s*{param}\s*=\s*(?:"([^"]*)"|([^;\s]+))', raw, re.I)
        if m:
            return decode_header(m.group(1) if m.group(1) is not None else m.group(2)).strip()
    return ""


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _noise(msg: Message, from_addr: str) -> str:
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return "auto_submitted"
    if str(msg.get("Precedence", "")).strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autogenerated"):
        if msg.get(h) is not None:
            return "autoreply"
    if str(msg.get("X-Auto-Response-Suppress", "")).strip().lower() in ("all", "oof", "autoreply"):
        # Exchange marks its own out-of-office answers this way.
        if re.search(r"(自动回复|自动答复|自動回覆|自動答覆|Automatic reply|Out of Office)", decode_header(_hdr(msg, "Subject")), re.I):
            return "autoreply"
    ctype = msg.get_content_type()
    if ctype == "multipart/report" or str(msg.get_param("report-type") or "").lower() == "delivery-status":
        return "bounce"
    local = from_addr.split("@", 1)[0]
    if local in ("mailer-daemon", "postmaster") or str(msg.get("Return-Path", "")).strip() == "<>":
        return "bounce"
    if msg.get("List-Id") is not None or msg.get("List-Unsubscribe") is not None:
        return "list"
    return ""


def _leaves(msg: Message) -> list[Message]:
    """The leaf parts, not descending into an attached message (a forwarded mail stays whole)."""
    if msg.get_content_type() == "message/rfc822" or not msg.is_multipart():
        return [msg]
    out: list[Message] = []
    for sub in msg.get_payload():
        if isinstance(sub, Message):
            out.extend(_leaves(sub))
    return out


def parse(raw: bytes) -> ParsedMail:
    """Parse one RFC 5322 message. Raises ValueError only for bytes that are no mail at all."""
    if not raw.strip():
        raise ValueError("empty message")
    msg = email.message_from_bytes(raw)
    if not msg.keys():
        raise ValueError("no headers")
    froms = _addresses(_hdr(msg, "From")) or _addresses(_hdr(msg, "Sender")) or _addresses(_hdr(msg, "Reply-To"))
    from_name, from_addr = froms[0] if froms else ("", "")
    reply_to = _addresses(_hdr(msg, "Reply-To"))
    mid = _ids(_hdr(msg, "Message-ID"))
    plain: list[str] = []
    htmls: list[str] = []
    attachments: list[MailAttachment] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        disp = str(part.get("Content-Disposition", "")).split(";", 1)[0].strip().lower()
        name = _filename(part)
        if ctype == "message/rfc822" or (ctype.startswith("message/") and disp == "attachment"):
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            data = first.as_bytes() if isinstance(first, Message) else _payload(part)
            attachments.append(MailAttachment(name=name or "attached.eml", content_type=ctype, content=data))
            continue
        if disp != "attachment" and not name and ctype in ("text/plain", "text/html"):
            text = decode_bytes(_payload(part), part.get_content_charset())
            (plain if ctype == "text/plain" else htmls).append(text)
            continue
        data = _payload(part)
        if not data:
            continue
        if not name:
            name = f"image-{len(attachments) + 1}{_EXT.get(ctype, '.bin')}" if ctype.startswith("image/") else f"part-{len(attachments) + 1}{_EXT.get(ctype, '.bin')}"
        inline = disp == "inline" or (disp == "" and part.get("Content-ID") is not None)
        attachments.append(MailAttachment(name=name, content_type=ctype, content=data, inline=inline))
    html_only = not any(p.strip() for p in plain) and bool(htmls)
    text = "\n\n".join(p for p in plain if p.strip()) if not html_only else "\n\n".join(html_to_text(h) for h in htmls)
    return ParsedMail(
        message_id=mid[0] if mid else "sha256:" + hashlib.sha256(raw).hexdigest(),
        subject=decode_header(_hdr(msg, "Subject")).replace("\n", " ")[:255],
        from_name=from_name[:200],
        from_addr=from_addr[:254],
        reply_to=reply_to[0][1][:254] if reply_to else "",
        to=[a for _n, a in _addresses(_hdr(msg, "To"))],
        in_reply_to=_ids(_hdr(msg, "In-Reply-To")),
        references=_ids(_hdr(msg, "References")),
        body=trim_reply(text),
        attachments=attachments,
        noise=_noise(msg, from_addr),
        html_only=html_only,
    )


_TAG = re.compile(r"\[#\s*([A-Z]{2}\d{8}-\d{6})\s*\]")


def ticket_tag(subject: str) -> str | None:
    """The ticket number of a `[#GD20261207-000001]` tag in a subject."""
    m = _TAG.search(subject)
    return m.group(1) if m else None


def strip_subject(subject: str) -> str:
    """A subject without reply prefixes (Re:, 回复：, 答复:, Fwd:, 转发:) and ticket tags."""
    s = _TAG.sub("", subject)
    s = re.sub(r"^\s*((re|fw|fwd|aw|sv|回复|回覆|答复|转发|轉寄)\s*[:：]\s*)+", "", s.strip(), flags=re.I)
    return s.strip()
