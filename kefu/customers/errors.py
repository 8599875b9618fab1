from __future__ import annotations

from enum import StrEnum


class CustomerErrorCode(StrEnum):
    NOT_FOUND = "customer_not_found"
    FORBIDDEN = "customer_forbidden"
    IDENTITY_REQUIRED = "customer_identity_required"
    INVALID_PHONE = "invalid_phone"
    UPLOAD_TOO_LARGE = "upload_too_large"
    UPLOAD_TYPE_NOT_ALLOWED = "upload_type_not_allowed"
    UPLOAD_EMPTY = "upload_empty"
    EXTERNAL_ID_TAKEN = "external_id_taken"
