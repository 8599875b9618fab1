from __future__ import annotations

from enum import StrEnum


class AppointmentErrorCode(StrEnum):
    NOT_FOUND = "appointment_not_found"
    SLOT_FULL = "appointment_slot_full"
    SLOT_INVALID = "appointment_slot_invalid"
    NOT_ACTIVE = "appointment_not_active"
    LINK_INVALID = "appointment_link_invalid"
    CALL_NOT_FOUND = "confirmation_call_not_found"
    CALL_CLOSED = "confirmation_call_closed"
    FORBIDDEN = "appointments_forbidden"
    INVALID_INPUT = "appointments_invalid_input"
    REMINDER_NOT_FOUND = "maintenance_reminder_not_found"
    REMINDER_CLOSED = "maintenance_reminder_closed"
