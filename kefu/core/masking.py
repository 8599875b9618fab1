"""Masking of phone and ID numbers for users who may not see them (138****1234)."""

from __future__ import annotations


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 4 digits of a phone number: 13812341234 -> 138****1234."""
    if not value:
        return ""
    v = value.strip()
    if len(v) <= 7:
        return v[:1] + "*" * max(len(v) - 2, 1) + v[-1:] if len(v) > 2 else "*" * len(v)
    return v[:3] + "****" + v[-4:]


def mask_id_number(value: str | None) -> str:
    """Keep the first 4 and last 4 characters of an ID number: 1101**********1234."""
    if not value:
        return ""
    v = value.strip()
    if len(v) <= 8:
        return "*" * len(v)
    return v[:4] + "*" * (len(v) - 8) + v[-4:]


def mask_email(value: str | None) -> str:
    if not value or "@" not in value:
        return value or ""
    local, _, domain = value.partition("@")
    return (local[:1] + "***" + "@" + domain) if local else value
