"""Customer care's reactions to ticket facts (subscribed in CareConfig.ready()); orders 640–649.

After commit only: points for an answered survey must never slow down or fail the survey's answer;
if this fails the clock retries it, and the survey's idempotency key earns the points once."""

from __future__ import annotations

from kefu.care.ledger import points_earn_for_survey
from kefu.tickets.reactions import Phase, TicketFact, TicketSurveyAnswered, subscribe


def survey_points(fact: TicketFact) -> None:
    if isinstance(fact, TicketSurveyAnswered) and fact.ticket.customer_id:
        points_earn_for_survey(customer_id=fact.ticket.customer_id, survey_id=fact.survey_id, now=fact.at)


def subscribe_all() -> None:
    subscribe(TicketSurveyAnswered, survey_points, phase=Phase.AFTER_COMMIT, name="care.survey_points", order=640)
