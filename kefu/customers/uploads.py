"""Upload checks: size, extension and the file's own first bytes must agree on an allowed type.

HTML, SVG and executables are refused whatever their names say: they could run script in a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError
from kefu.customers.errors import CustomerErrorCode

ZIP = (b"PK\x03\x04",)
# extension -> (content type, accepted leading bytes; None = text, checked as UTF-8 without NUL)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".txt": ("text/plain", None),
    ".csv": ("text/csv", None),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".zip": ("application/zip", ZIP),
    ".mp3": ("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    ".amr": ("audio/amr", (b"#!AMR",)),  # WeChat voice messages (kefu/channels)
    ".mp4": ("video/mp4", ()),  # checked below: "ftyp" at offset 4
}


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    content: bytes


def check_upload(*, name: str, content: bytes) -> CheckedUpload:
    """Raise DomainError unless `content` is a non-empty allowed file within the size limit."""
    limit = settings.KEFU_UPLOAD_MAX_BYTES
    safe_name = PurePath(name.replace("\\", "/")).name[:200] or "file"
    if not content:
        raise DomainError(code=CustomerErrorCode.UPLOAD_EMPTY, message=_("The file is empty."))
    if len(content) > limit:
        raise DomainError(
            code=CustomerErrorCode.UPLOAD_TOO_LARGE,
            message=_("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
            status=413,
        )
    ext = PurePath(safe_name).suffix.lower()
    spec = ALLOWED.get(ext)
    ok = False
    if spec is not None:
        content_type, magics = spec
        if magics is None:
            ok = b"\x00" not in content[:4096]
            if ok:
                try:
                    content[:4096].decode("utf-8")
                except UnicodeDecodeError as exc:
                    # A cut multi-byte character at the 4 KiB edge is fine; anything else is not text.
                    ok = exc.start >= 4090
                lowered = content[:1024].lower()
                ok = ok and b"<script" not in lowered and b"<html" not in lowered
        elif ext == ".mp4":
            ok = content[4:8] == b"ftyp"
        elif ext == ".webp":
            ok = content[:4] == b"RIFF" and content[8:12] == b"WEBP"
        else:
            ok = any(content.startswith(m) for m in magics)
    if not ok:
        raise DomainError(
            code=CustomerErrorCode.UPLOAD_TYPE_NOT_ALLOWED,
            message=_("This file type is not allowed. Allowed: %(types)s.")
            % {"types": ", ".join(sorted(e.lstrip(".") for e in ALLOWED))},
            status=415,
        )
    return CheckedUpload(name=safe_name, content_type=ALLOWED[ext][0], content=content)
