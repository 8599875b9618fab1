"""Who may see and book appointments, and the customer's signed link.

Every active staff member sees the appointment book (the front desk needs the whole day) and may
book, confirm and record arrivals; resources and reserved hours are managed by managers in the admin.
The customer's link names one appointment and its random key; a bad or forged link answers 404.
"""

from __future__ import annotations

from django.core import signing
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.appointments.errors import AppointmentErrorCode
from kefu.appointments.models import Appointment, ConfirmationCall
from kefu.core.errors import Forbidden, NotFound

LINK_SALT = "kefu.appointments.link"


def is_staff_member(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def require_staff(user: User) -> None:
    if not is_staff_member(user):
        raise Forbidden(code=AppointmentErrorCode.FORBIDDEN, message=_("Only staff may do this."))


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    if not is_staff_member(user):
        return Appointment.objects.none()
    return Appointment.objects.all()


def access_appointment(*, user: User, appointment_id: int, for_update: bool = False) -> Appointment:
    qs = appointments_visible_to(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(pk=appointment_id).first()
    if found is None:
        raise NotFound(code=AppointmentErrorCode.NOT_FOUND, message=_("Appointment not found."))
    return found


def access_call(*, user: User, call_id: int, for_update: bool = False) -> ConfirmationCall:
    if not is_staff_member(user):
        raise NotFound(code=AppointmentErrorCode.CALL_NOT_FOUND, message=_("Confirmation call not found."))
    qs = ConfirmationCall.objects.select_related("appointment")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(pk=call_id).first()
    if found is None:
        raise NotFound(code=AppointmentErrorCode.CALL_NOT_FOUND, message=_("Confirmation call not found."))
    return found


def appointment_token(appointment: Appointment) -> str:
    return signing.dumps({"a": appointment.pk, "k": appointment.key}, salt=LINK_SALT, compress=True)


def access_appointment_by_token(token: str, *, for_update: bool = False) -> Appointment:
    try:
        data = signing.loads(token, salt=LINK_SALT)
        appointment_id, key = int(data["a"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound(code=AppointmentErrorCode.LINK_INVALID, message=_("This appointment link is not valid.")) from exc
    qs = Appointment.objects.select_related("resource", "service_type", "customer")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(pk=appointment_id, key=key).first()
    if found is None:
        raise NotFound(code=AppointmentErrorCode.LINK_INVALID, message=_("This appointment link is not valid."))
    return found
