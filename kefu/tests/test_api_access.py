"""The role × endpoint access matrix of the API, generated from the OpenAPI document.

Every operation is called by eight callers — anonymous, a portal customer's tracking link used as a
token, an agent, an agent of another team, the agent's team lead, QA, a manager and the admin — with
real ids in its path and a minimal valid body. For every operation, without a list to keep:

- anonymous and the portal link answer 401;
- nobody gets a 5xx, and every refusal is in the error shape;
- another team's ticket answers exactly what a ticket that does not exist answers (a 404 or the same
  refusal): numbers cannot be probed;
- a caller who may not see contacts never receives a customer's unmasked phone, ID number or email.

Which roles an operation refuses (403/404 for its real objects) is declared in ``ACCESS`` below; an
operation that is not there fails the test, so a new endpoint gets a rule when it is written.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from django.test import Client

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.channels.signing import SIGNATURE_CODES
from kefu.customers.models import Customer, CustomerPhone
from kefu.demo.seed import demo_load
from kefu.tests import apifuzz
from kefu.tickets.access import portal_token, tickets_visible_to
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db

STAFF = ("agent", "other_agent", "lead", "qa", "manager", "admin")
NOT_STAFF = ("anonymous", "portal_link")
NO_SUCH_TICKET = "GD20000101-999999"

PLANNERS_ONLY = {"agent", "other_agent", "lead", "qa"}  # refused: managers and admins only
SUPERVISORS_ONLY = {"agent", "other_agent", "qa"}  # refused: team leads, managers and admins only
EVERYONE = set(STAFF)
NO_ONE: set[str] = set()
# Webhooks that systems call (CTI events, SMS receipts and inbound): no token opens them, whoever
# holds it; every caller without the account's signature gets 401 with a `signature_*` code.
SIGNED_ONLY: set[str] = {"__signed_only__"}

# (method, path) -> the staff roles that are refused (403 or 404) on the operation's real objects.
# Everyone else may use it (their answer is never 401 or 403). Keep one line per operation.
ACCESS: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/tickets/"): {"qa"},
    ("GET", "/api/v1/tickets/"): NO_ONE,
    ("GET", "/api/v1/tickets/{number}"): {"other_agent"},
    ("PATCH", "/api/v1/tickets/{number}"): {"other_agent", "qa"},
    ("POST", "/api/v1/tickets/{number}/messages"): {"other_agent", "qa"},
    ("POST", "/api/v1/tickets/{number}/assign"): NO_ONE,
    ("POST", "/api/v1/tickets/{number}/transfer"): {"qa"},
    ("POST", "/api/v1/tickets/{number}/status"): {"other_agent", "qa"},
    ("GET", "/api/v1/tickets/{number}/timeline"): {"other_agent"},
    ("POST", "/api/v1/customers/"): {"qa"},
    ("GET", "/api/v1/customers/"): NO_ONE,
    ("GET", "/api/v1/customers/{customer_id}"): NO_ONE,
    ("GET", "/api/v1/knowledge/search"): NO_ONE,
    ("GET", "/api/v1/knowledge/suggestions/{number}"): {"other_agent"},
    ("POST", "/api/v1/knowledge/feedback"): NO_ONE,
    ("GET", "/api/v1/knowledge/replies"): NO_ONE,
    ("POST", "/api/v1/knowledge/replies/{reply_id}/fill"): NO_ONE,
    ("GET", "/api/v1/surveys/callbacks"): NO_ONE,
    ("POST", "/api/v1/surveys/callbacks/{callback_id}/result"): SUPERVISORS_ONLY,  # the demo's missed call opens one
    ("POST", "/api/v1/surveys/plans/{code}/schedule"): NO_ONE,
    ("GET", "/api/v1/surveys/metrics"): NO_ONE,
    ("GET", "/api/v1/surveys/archive"): NO_ONE,
    ("POST", "/api/v1/surveys/archive/{case_id}/care"): NO_ONE,
    ("POST", "/api/v1/surveys/care/{action_id}/done"): EVERYONE,  # the demo has none open: 404 for all
    ("POST", "/api/v1/surveys/archive/{case_id}/close"): PLANNERS_ONLY,
    ("GET", "/api/v1/surveys/tickets/{number}"): {"other_agent"},
    ("GET", "/api/v1/workforce/queues"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/workforce/queues"): PLANNERS_ONLY,
    ("GET", "/api/v1/workforce/queues/{queue_id}"): SUPERVISORS_ONLY,
    ("PATCH", "/api/v1/workforce/queues/{queue_id}"): PLANNERS_ONLY,
    ("POST", "/api/v1/workforce/forecasts"): PLANNERS_ONLY,
    ("GET", "/api/v1/workforce/forecasts/{forecast_id}"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/workforce/forecasts/{forecast_id}/requirements"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/workforce/queues/{queue_id}/intraday"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/workforce/schedules"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/workforce/schedules"): PLANNERS_ONLY,
    ("GET", "/api/v1/workforce/schedules/{schedule_id}"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/workforce/schedules/{schedule_id}/publish"): PLANNERS_ONLY,
    ("POST", "/api/v1/workforce/leave"): NO_ONE,
    ("POST", "/api/v1/workforce/leave/{leave_id}/decision"): PLANNERS_ONLY,
    ("GET", "/api/v1/me"): NO_ONE,
    ("PUT", "/api/v1/me/presence"): NO_ONE,
    ("GET", "/api/v1/dispatch/tickets/{number}"): {"other_agent"},
    ("GET", "/api/v1/dispatch/tickets/{number}/decisions"): {"other_agent"},
    ("POST", "/api/v1/dispatch/tickets/{number}/suggestion/accept"): {"other_agent"},
    ("POST", "/api/v1/dispatch/tickets/{number}/suggestion/dismiss"): {"other_agent", "qa"},
    ("POST", "/api/v1/dispatch/preview"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/dispatch/teams/{team_id}/board"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/dispatch/teams/{team_id}/drain"): SUPERVISORS_ONLY,
    # Wave 2 apps (observed with KEFU_ACCESS_PRINT=1 and reviewed against each app's access rules).
    ("GET", "/api/v1/chat/conversations"): NO_ONE,
    ("GET", "/api/v1/chat/conversations/{conversation_id}"): {"agent", "other_agent", "lead", "qa"},
    ("GET", "/api/v1/chat/conversations/{conversation_id}/messages"): {"agent", "other_agent", "lead", "qa"},
    ("POST", "/api/v1/chat/conversations/{conversation_id}/messages"): {"agent", "other_agent", "lead", "qa"},
    ("POST", "/api/v1/chat/conversations/{conversation_id}/accept"): {"agent", "other_agent", "lead", "qa"},
    ("POST", "/api/v1/chat/conversations/{conversation_id}/decline"): {"agent", "other_agent", "lead", "qa"},
    ("GET", "/api/v1/chat/offers"): NO_ONE,
    ("POST", "/api/v1/chat/conversations/{conversation_id}/transfer"): {"agent", "other_agent", "lead", "qa"},
    ("POST", "/api/v1/chat/conversations/{conversation_id}/end"): {"agent", "other_agent", "lead", "qa"},
    ("POST", "/api/v1/chat/conversations/{conversation_id}/ticket"): {"agent", "other_agent", "lead", "qa"},
    ("POST", "/api/v1/bot/answer"): NO_ONE,
    ("GET", "/api/v1/complaints/warnings"): NO_ONE,
    ("GET", "/api/v1/complaints/warnings/{warning_id}"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/warnings/{warning_id}/acknowledge"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/warnings/{warning_id}/owner"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/warnings/{warning_id}/note"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/complaints/warnings/{warning_id}/close"): EVERYONE,  # no such object in the demo world: 404 for all
    ("GET", "/api/v1/complaints/incidents"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/complaints/incidents"): {"agent", "other_agent", "qa"},
    ("GET", "/api/v1/complaints/incidents/{incident_id}"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/complaints/incidents/{incident_id}/link"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/complaints/incidents/{incident_id}/unlink"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/incidents/{incident_id}/notify"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/complaints/incidents/{incident_id}/plan"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/complaints/incidents/{incident_id}/resolve"): {"agent", "other_agent", "qa"},
    ("GET", "/api/v1/complaints/incidents/{incident_id}/compensation"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/complaints/incidents/{incident_id}/compensation"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/complaints/compensation/{compensation_id}/approve"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/compensation/{compensation_id}/refuse"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/compensation/{compensation_id}/pay"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/posts/import"): {"agent", "other_agent", "qa"},
    ("GET", "/api/v1/complaints/causes/stats"): NO_ONE,
    ("POST", "/api/v1/complaints/causes/{number}"): {"agent", "other_agent", "qa"},
    ("GET", "/api/v1/quality/scorecards"): {"agent", "other_agent", "lead"},
    ("GET", "/api/v1/quality/scorecards/{scorecard_id}"): {"agent", "other_agent", "lead"},
    ("GET", "/api/v1/quality/plans"): {"agent", "other_agent", "lead"},
    ("POST", "/api/v1/quality/plans/{plan_id}/draw"): {"agent", "other_agent", "lead", "qa"},  # QA leads and managers draw
    ("GET", "/api/v1/quality/inspections"): NO_ONE,  # each sees their own
    ("GET", "/api/v1/quality/inspections/{inspection_id}"): {"other_agent"},
    ("POST", "/api/v1/quality/inspections/{inspection_id}/score"): {"agent", "other_agent", "lead", "manager", "admin"},  # the inspector's own draft
    ("POST", "/api/v1/quality/inspections/{inspection_id}/submit"): {"agent", "other_agent", "lead", "manager", "admin"},
    ("GET", "/api/v1/quality/appeals"): NO_ONE,
    ("POST", "/api/v1/quality/appeals"): {"other_agent", "lead", "qa", "manager", "admin"},  # the inspected agent only
    ("POST", "/api/v1/quality/appeals/{appeal_id}/decide"): {"agent", "other_agent", "qa"},
    ("GET", "/api/v1/quality/results"): NO_ONE,
    ("POST", "/api/v1/quality/prescreen"): {"agent", "other_agent", "lead"},
    ("GET", "/api/v1/complaints/joint-tasks"): NO_ONE,
    ("GET", "/api/v1/complaints/joint-tasks/{task_id}"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/joint-tasks/{task_id}/expert"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/joint-tasks/{task_id}/complete"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/complaints/tickets/{number}/close-override"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/complaints/upstream-actions"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/complaints/upstream-actions"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/complaints/upstream-actions/{upstream_action_id}"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/complaints/upstream-actions/{upstream_action_id}/done"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/appointments/resources"): NO_ONE,
    ("GET", "/api/v1/appointments/services"): NO_ONE,
    ("GET", "/api/v1/appointments/free"): NO_ONE,
    ("GET", "/api/v1/appointments/"): NO_ONE,
    ("POST", "/api/v1/appointments/"): NO_ONE,
    ("GET", "/api/v1/appointments/calls"): NO_ONE,
    ("POST", "/api/v1/appointments/calls/{call_id}"): NO_ONE,  # every staff member works the appointment book
    ("GET", "/api/v1/appointments/{appointment_id}"): NO_ONE,  # every staff member works the appointment book
    ("POST", "/api/v1/appointments/{appointment_id}/move"): NO_ONE,  # every staff member works the appointment book
    ("POST", "/api/v1/appointments/{appointment_id}/cancel"): NO_ONE,  # every staff member works the appointment book
    ("POST", "/api/v1/appointments/{appointment_id}/mark"): NO_ONE,  # every staff member works the appointment book
    ("POST", "/api/v1/appointments/{appointment_id}/parts"): NO_ONE,  # every staff member works the appointment book
    ("GET", "/api/v1/appointments/walk-ins"): NO_ONE,
    ("POST", "/api/v1/appointments/walk-ins"): NO_ONE,  # the front desk records walk-ins
    ("GET", "/api/v1/appointments/reminders"): NO_ONE,
    ("POST", "/api/v1/appointments/reminders/{reminder_id}/book"): EVERYONE,  # the demo has no maintenance plans yet: 404 for all
    ("POST", "/api/v1/appointments/reminders/{reminder_id}/dismiss"): EVERYONE,  # the demo has no maintenance plans yet: 404 for all
    ("GET", "/api/v1/operations/plans"): NO_ONE,
    ("POST", "/api/v1/operations/plans"): PLANNERS_ONLY,
    ("GET", "/api/v1/operations/plans/{plan_id}"): NO_ONE,
    ("POST", "/api/v1/operations/plans/{plan_id}/activate"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/operations/incidents"): NO_ONE,
    ("GET", "/api/v1/operations/incidents/summary"): NO_ONE,
    ("GET", "/api/v1/operations/incidents/{incident_id}"): NO_ONE,
    # The demo's incidents are closed: every change answers 409 (the chain and lead rules are in kefu/operations/tests).
    ("POST", "/api/v1/operations/incidents/{incident_id}/acknowledge"): NO_ONE,
    ("POST", "/api/v1/operations/incidents/{incident_id}/steps/{step_id}"): NO_ONE,
    ("POST", "/api/v1/operations/incidents/{incident_id}/level"): NO_ONE,
    ("POST", "/api/v1/operations/incidents/{incident_id}/messages"): NO_ONE,
    ("POST", "/api/v1/operations/incidents/{incident_id}/close"): NO_ONE,
    ("POST", "/api/v1/operations/incidents/{incident_id}/review"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/operations/stock"): NO_ONE,
    ("GET", "/api/v1/operations/requisitions"): NO_ONE,
    ("POST", "/api/v1/operations/requisitions"): NO_ONE,
    # Agents see only their own requisitions (404 on the others); the demo's are in every state.
    ("POST", "/api/v1/operations/requisitions/{requisition_id}/approve"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/operations/requisitions/{requisition_id}/reject"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/operations/requisitions/{requisition_id}/issue"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/operations/requisitions/{requisition_id}/confirm"): {"agent", "other_agent", "qa"},
    ("POST", "/api/v1/operations/requisitions/{requisition_id}/return"): {"agent", "other_agent", "qa"},
    # Equipment: every staff member reads; leads report faults and record maintenance; managers set up.
    ("GET", "/api/v1/operations/devices"): NO_ONE,
    ("POST", "/api/v1/operations/devices"): PLANNERS_ONLY,
    ("GET", "/api/v1/operations/devices/{device_id}"): NO_ONE,
    ("POST", "/api/v1/operations/devices/{device_id}/faults"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/operations/devices/{device_id}/maintenance-plans"): PLANNERS_ONLY,
    ("GET", "/api/v1/operations/maintenance/due"): NO_ONE,
    ("POST", "/api/v1/operations/maintenance-plans/{maintenance_plan_id}/done"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/operations/availability"): NO_ONE,
    ("POST", "/api/v1/operations/availability/targets"): PLANNERS_ONLY,
    ("GET", "/api/v1/operations/alerts"): PLANNERS_ONLY,
    ("POST", "/api/v1/operations/alerts/{ops_alert_id}/seen"): PLANNERS_ONLY,
    # Budget lines: managers and admins only.
    ("GET", "/api/v1/operations/budget/lines"): PLANNERS_ONLY,
    ("POST", "/api/v1/operations/budget/lines"): PLANNERS_ONLY,
    ("GET", "/api/v1/operations/budget/lines/{budget_line_id}"): PLANNERS_ONLY,
    ("POST", "/api/v1/operations/budget/lines/{budget_line_id}/entries"): PLANNERS_ONLY,
    ("GET", "/api/v1/operations/budget/reallocations"): PLANNERS_ONLY,
    ("POST", "/api/v1/operations/budget/reallocations"): PLANNERS_ONLY,
    ("POST", "/api/v1/operations/budget/projects"): PLANNERS_ONLY,
    ("GET", "/api/v1/operations/budget/returns"): PLANNERS_ONLY,
    ("POST", "/api/v1/dispatch/triage/"): {"qa"},
    ("GET", "/api/v1/dispatch/triage/model"): EVERYONE,  # no such object in the demo world: 404 for all
    ("GET", "/api/v1/dispatch/triage/tickets/{number}"): {"other_agent"},
    ("POST", "/api/v1/dispatch/triage/suggestions/{suggestion_id}/accept"): EVERYONE,  # no such object in the demo world: 404 for all
    ("POST", "/api/v1/dispatch/triage/suggestions/{suggestion_id}/dismiss"): EVERYONE,  # no such object in the demo world: 404 for all
    # Channels: managers and admins configure accounts and work the "could not process" list.
    ("POST", "/api/v1/channels/calls/events"): SIGNED_ONLY,
    ("POST", "/api/v1/channels/sms/reports"): SIGNED_ONLY,
    ("POST", "/api/v1/channels/sms/inbound"): SIGNED_ONLY,
    ("GET", "/api/v1/channels/calls/"): NO_ONE,  # cut to the calls the caller may see, numbers masked
    ("GET", "/api/v1/channels/calls/{call_id}"): {"other_agent", "qa"},  # the demo's calls ring in the default team
    ("GET", "/api/v1/channels/accounts"): PLANNERS_ONLY,
    ("GET", "/api/v1/channels/contacts"): PLANNERS_ONLY,
    ("GET", "/api/v1/channels/contacts/{contact_id}"): PLANNERS_ONLY,
    ("POST", "/api/v1/channels/contacts/{contact_id}/retry"): PLANNERS_ONLY,
    ("POST", "/api/v1/channels/contacts/{contact_id}/discard"): PLANNERS_ONLY,
    ("GET", "/api/v1/channels/wechat/claims"): {"qa"},
    ("POST", "/api/v1/channels/wechat/claims/{identity_id}/confirm"): {"qa"},
    ("POST", "/api/v1/channels/wechat/claims/{identity_id}/reject"): {"qa"},
    ("GET", "/api/v1/performance/definitions"): NO_ONE,
    ("GET", "/api/v1/performance/metrics"): NO_ONE,  # everyone, cut to their own scope
    ("GET", "/api/v1/performance/drill"): NO_ONE,
    ("GET", "/api/v1/performance/scorecard/plans"): NO_ONE,
    ("GET", "/api/v1/performance/scorecard/plans/{plan_id}"): NO_ONE,  # the default plan: rows cut to the caller
    ("GET", "/api/v1/performance/dashboard"): NO_ONE,
    ("GET", "/api/v1/performance/packs"): NO_ONE,  # managers all; leads their team's; others an empty list
    ("POST", "/api/v1/performance/packs"): PLANNERS_ONLY,  # a lead may define one for their own team only
    ("GET", "/api/v1/performance/packs/{pack_id}"): PLANNERS_ONLY,  # the demo packs are center-wide
    ("GET", "/api/v1/performance/packs/{pack_id}/runs"): PLANNERS_ONLY,
    ("POST", "/api/v1/performance/packs/{pack_id}/runs"): PLANNERS_ONLY,
    ("GET", "/api/v1/performance/packs/runs/{report_run_id}"): PLANNERS_ONLY,
    ("GET", "/api/v1/performance/packs/runs/{report_run_id}/file"): PLANNERS_ONLY,
    ("POST", "/api/v1/performance/packs/runs/{report_run_id}/send"): PLANNERS_ONLY,
    ("GET", "/api/v1/points/balance"): NO_ONE,
    ("GET", "/api/v1/points/balances"): NO_ONE,
    ("GET", "/api/v1/points/ledger"): NO_ONE,
    ("POST", "/api/v1/points/award"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/points/awards"): NO_ONE,
    ("POST", "/api/v1/points/awards/{award_id}/decision"): {"agent", "other_agent", "lead", "qa"},  # the demo's lead asked for it: someone else decides
    ("POST", "/api/v1/points/entries/{entry_id}/reverse"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/points/catalogue"): NO_ONE,
    ("POST", "/api/v1/points/redeem"): NO_ONE,
    ("GET", "/api/v1/points/redemptions"): NO_ONE,
    ("POST", "/api/v1/points/redemptions/{redemption_id}/decision"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/points/redemptions/{redemption_id}/cancel"): EVERYONE,  # only its own agent withdraws it: 404 for all
    ("GET", "/api/v1/points/suggestions"): NO_ONE,
    ("POST", "/api/v1/points/suggestions"): NO_ONE,
    ("POST", "/api/v1/points/suggestions/{suggestion_id}/review"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/points/suggestions/{suggestion_id}/adopt"): SUPERVISORS_ONLY,
    ("POST", "/api/v1/points/suggestions/{suggestion_id}/reject"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/points/star"): NO_ONE,
    ("GET", "/api/v1/care/customers/{customer_id}/points"): NO_ONE,
    ("POST", "/api/v1/care/customers/{customer_id}/points/earn"): NO_ONE,  # the front desk records visits and purchases
    ("POST", "/api/v1/care/customers/{customer_id}/points/spend"): NO_ONE,
    ("PATCH", "/api/v1/care/customers/{customer_id}/preferences"): NO_ONE,
    ("GET", "/api/v1/care/rewards"): NO_ONE,
    ("POST", "/api/v1/care/rewards"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/care/rules"): NO_ONE,
    ("POST", "/api/v1/care/rules"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/care/templates"): NO_ONE,
    ("POST", "/api/v1/care/templates"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/care/holidays"): NO_ONE,
    ("POST", "/api/v1/care/holidays"): SUPERVISORS_ONLY,
    ("GET", "/api/v1/care/messages"): NO_ONE,
}


# --- the world ------------------------------------------------------------------------------------


@pytest.fixture
def world(settings) -> dict[str, Any]:
    demo_load(tickets=40, customers=15, days=20)
    agent = next(
        u for u in User.objects.filter(role=Role.AGENT, is_active=True, team__isnull=False).order_by("pk")
        if not u.may_see_contacts and tickets_visible_to(u).filter(team=u.team).exists()
    )  # fmt: skip
    own = tickets_visible_to(agent).filter(team=agent.team).order_by("pk").first()
    other_agent = next(
        u for u in User.objects.filter(role=Role.AGENT, is_active=True, team__isnull=False).exclude(team=agent.team).order_by("pk")
        if not u.may_see_contacts and not tickets_visible_to(u).filter(pk=own.pk).exists()
    )  # fmt: skip
    users = {
        "agent": agent,
        "other_agent": other_agent,
        "lead": User.objects.filter(role=Role.TEAM_LEAD, team=agent.team).first()
        or User.objects.filter(role=Role.TEAM_LEAD).order_by("pk").first(),
        "qa": User.objects.filter(role=Role.QA).order_by("pk").first(),
        "manager": User.objects.filter(role=Role.MANAGER).order_by("pk").first(),
        "admin": User.objects.filter(role=Role.ADMIN).order_by("pk").first(),
    }
    assert all(users.values()), users
    headers = {role: {"Authorization": f"Bearer {api_token_create(user=u, name='matrix')[1]}"} for role, u in users.items()}
    headers["anonymous"] = {}
    headers["portal_link"] = {"Authorization": f"Bearer {portal_token(own)}"}
    return {"users": users, "headers": headers, "own": own}


def contact_secrets() -> set[str]:
    values = set(CustomerPhone.objects.values_list("number", flat=True))
    values |= set(Customer.objects.values_list("email", flat=True))
    values |= set(Customer.objects.values_list("id_number", flat=True))
    values |= set(Ticket.objects.values_list("contact_phone", flat=True))
    return {v for v in values if v and len(v) >= 6}


# --- building calls from the OpenAPI document -------------------------------------------------------


def minimal(schema: dict[str, Any], components: dict[str, Any], path: str, name: str = "") -> Any:
    """A small valid value for a JSON schema: required properties only, real ids for ``*_id``."""
    if "$ref" in schema:
        return minimal(components[schema["$ref"].rsplit("/", 1)[-1]], components, path, name)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return minimal(options[0], components, path, name)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: minimal(props[k], components, path, k) for k in schema.get("required", []) if k in props}
    if kind == "array":
        return []
    if kind == "integer":
        real = apifuzz.real_values(name, path, "integer") if name.endswith("_id") else None
        return real[0] if real and len(real) > 1 else max(1, schema.get("minimum", 1))
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-12-01T09:00:00+08:00"
    if fmt == "date":
        return "2026-11-30"
    if "pattern" in schema and "[0-5][0-9]" in schema["pattern"]:
        return "08:00"
    return "测试" if schema.get("minLength", 1) <= 2 else "测试" * schema["minLength"]


def calls(doc: dict[str, Any], own: Ticket) -> list[tuple[str, str, str, Any, bool]]:
    """(method, template, url, body, has_ticket) for every operation in the document."""
    components = doc.get("components", {}).get("schemas", {})
    found = []
    for template, item in doc["paths"].items():
        for method, operation in item.items():
            url = template
            has_ticket = False
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                if parameter["name"] == "number":
                    value: Any = own.number
                    has_ticket = True
                else:
                    values = apifuzz.real_values(parameter["name"], template, parameter["schema"].get("type"))
                    value = values[0] if values and len(values) > 1 else 1
                url = url.replace("{" + parameter["name"] + "}", str(value))
            body = None
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is not None:
                body = minimal(schema, components, template)
            found.append((method, template, url, body, has_ticket))
    return found


def send(client: Client, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    if body is None:
        return client.generic(method.upper(), url, headers=headers)
    return client.generic(method.upper(), url, json.dumps(body), content_type="application/json", headers=headers)


def error_code(response: Any) -> str | None:
    if response.status_code < 400:
        return None
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}, body
    return body["code"]


# --- the matrix -------------------------------------------------------------------------------------


def test_the_role_by_endpoint_matrix_holds_for_every_operation(client: Client, world):
    doc = client.get("/api/v1/openapi.json").json()
    secrets = contact_secrets()
    assert secrets
    problems: list[str] = []
    observed: dict[str, set[str]] = {}
    supervisors_saw_contacts = False
    for method, template, url, body, has_ticket in calls(doc, world["own"]):
        op = f"{method.upper()} {template}"
        rule = ACCESS.get((method.upper(), template))
        if rule is None:
            problems.append(f"{op}: no access rule; add it to ACCESS in kefu/tests/test_api_access.py")
            rule = NO_ONE
        for role in NOT_STAFF:
            r = send(client, method, url, body, world["headers"][role])
            if r.status_code != 401:
                problems.append(f"{op} as {role}: {r.status_code}, expected 401")
        for role in STAFF:
            r = send(client, method, url, body, world["headers"][role])
            if r.status_code >= 500:
                problems.append(f"{op} as {role}: {r.status_code}")
                continue
            code = error_code(r)
            if rule is SIGNED_ONLY:
                if r.status_code != 401 or code not in SIGNATURE_CODES:
                    problems.append(f"{op} as {role}: {r.status_code} {code}, expected 401 signature_*")
                continue
            if r.status_code in (403, 404):
                observed.setdefault(op, set()).add(role)
            if role in rule and r.status_code not in (403, 404):
                problems.append(f"{op} as {role}: {r.status_code} {code}, expected a refusal (403/404)")
            if role not in rule and r.status_code in (401, 403):
                problems.append(f"{op} as {role}: {r.status_code} {code}, expected to be allowed")
            if not world["users"][role].may_see_contacts:
                text = r.content.decode(errors="replace")  # file downloads are binary
                leaked = sorted(s for s in secrets if s in text)
                if leaked:
                    problems.append(f"{op} as {role}: unmasked contact details {leaked[:3]}")
            else:
                supervisors_saw_contacts |= any(s in r.content.decode(errors="replace") for s in secrets)
        if has_ticket:
            # Another team's ticket answers like one that does not exist.
            headers = world["headers"]["other_agent"]
            theirs = send(client, method, url, body, headers)
            missing = send(client, method, url.replace(world["own"].number, NO_SUCH_TICKET), body, headers)
            if (theirs.status_code, error_code(theirs)) != (missing.status_code, error_code(missing)):
                problems.append(
                    f"{op}: another team's ticket answers {theirs.status_code} {error_code(theirs)}, "
                    f"a missing one {missing.status_code} {error_code(missing)}"
                )
            elif theirs.status_code < 400:
                problems.append(f"{op}: another team's ticket answers {theirs.status_code}")
    if os.environ.get("KEFU_ACCESS_PRINT"):  # print the observed table, to review and paste into ACCESS
        for method, template, *_ in calls(doc, world["own"]):
            op = f"{method.upper()} {template}"
            roles = ", ".join(f'"{r}"' for r in STAFF if r in observed.get(op, set()))
            print(f'    ("{method.upper()}", "{template}"): {{{roles}}},')
    # The check above can see contacts: managers and admins do receive them unmasked.
    assert supervisors_saw_contacts
    assert not problems, "\n".join(problems)


def test_the_minimal_body_satisfies_the_schema():
    components = {"Ref": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 3}}}}
    schema = {"type": "object", "required": ["a", "r", "t"], "properties": {
        "a": {"anyOf": [{"type": "null"}, {"type": "string", "format": "date-time"}]},
        "r": {"$ref": "#/components/schemas/Ref"}, "t": {"type": "string", "minLength": 5},
        "optional": {"type": "string"}}}  # fmt: skip
    value = minimal(schema, components, "/api/v1/x/")
    assert value == {"a": "2026-12-01T09:00:00+08:00", "r": {"n": 3}, "t": "测试测试测试测试测试"}
    assert re.match(r"^\d{4}-", value["a"])
