"""Who may do what in customer care, and the customer's signed points link.

Every active staff member may read a customer's points and record what they earn or spend (the
front desk serves anyone); earn rules, rewards, greeting templates and holiday dates are set up by
team leads, managers and admins. Customers never log in: their points page takes a signed token
naming the account and its random key, so it cannot be guessed or moved to another customer.
"""

from __future__ import annotations

from django.core import signing
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.care.errors import CareErrorCode
from kefu.care.models import LoyaltyAccount
from kefu.core.errors import Forbidden, NotFound

LINK_SALT = "kefu.care.points"


def is_staff_member(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def require_staff(user: User | None) -> User:
    if user is None or not is_staff_member(user):
        raise Forbidden(code=CareErrorCode.FORBIDDEN, message=_("Only staff may do this."))
    return user


def may_set_up(user: User) -> bool:
    return is_staff_member(user) and (user.is_supervising or user.role == Role.TEAM_LEAD)


def require_care_manager(user: User | None) -> User:
    staff = require_staff(user)
    if not may_set_up(staff):
        raise Forbidden(code=CareErrorCode.FORBIDDEN, message=_("Only team leads and managers may set up customer care."))
    return staff


def points_token(account: LoyaltyAccount) -> str:
    return signing.dumps({"a": account.pk, "k": account.portal_key}, salt=LINK_SALT, compress=True)


def access_account_by_token(token: str) -> LoyaltyAccount:
    try:
        data = signing.loads(token, salt=LINK_SALT)
        account_id, key = int(data["a"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound(code=CareErrorCode.LINK_INVALID, message=_("This points link is not valid.")) from exc
    found = LoyaltyAccount.objects.select_related("customer").filter(pk=account_id, portal_key=key).first()
    if found is None:
        raise NotFound(code=CareErrorCode.LINK_INVALID, message=_("This points link is not valid."))
    return found
