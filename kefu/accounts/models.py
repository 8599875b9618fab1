from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.choices import AssignmentMode, Presence, Role, SkillKind, TeamKind

# Roles that see every ticket and unmasked contacts.
SUPERVISING_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=SkillKind.choices, default=SkillKind.OTHER)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TeamKind.choices, default=TeamKind.FRONT)
    assignment_mode = models.CharField(
        _("assignment mode"), max_length=16, choices=AssignmentMode.choices, default=AssignmentMode.LOAD_BALANCED
    )
    is_default = models.BooleanField(_("default team"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="one_default_team"),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member. Customers are not users: they reach their tickets through signed links."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    skills = models.ManyToManyField(Skill, verbose_name=_("skills"), blank=True, related_name="users")
    capacity = models.PositiveSmallIntegerField(_("capacity (max open tickets)"), default=20)
    presence = models.CharField(_("presence"), max_length=16, choices=Presence.choices, default=Presence.OFFLINE)
    presence_changed_at = models.DateTimeField(_("presence changed at"), null=True, blank=True)
    can_see_contacts = models.BooleanField(
        _("may see full phone and ID numbers"),
        default=False,
        help_text=_("Managers and administrators always may; others only when this is set."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_supervising(self) -> bool:
        return self.role in SUPERVISING_ROLES or self.is_superuser

    @property
    def sees_all_tickets(self) -> bool:
        return self.is_supervising or self.role == Role.QA

    @property
    def may_see_contacts(self) -> bool:
        return self.is_supervising or self.can_see_contacts


class ApiToken(models.Model):
    """A Bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
