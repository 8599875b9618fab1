"""DomainError: the one exception services raise for business-rule violations.

Every interface maps it the same way: the API answers 4xx with {"code", "message", "fields"},
forms show the (translated) message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class DomainError(Exception):
    """A business rule said no. `code` is a stable English code; `message` is translated."""

    status = 400

    def __init__(
        self,
        *,
        code: StrEnum | str,
        message: Any,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = str(code)
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
