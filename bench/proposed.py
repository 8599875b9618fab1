"""Proposed changes to kefu.tickets.selectors.search_q, measured here before anyone edits the selector.

`search_latency.py --proposed` patches them in, so the report can show both plans on the same data.

Why: the current search_q ORs an indexed condition with a subquery (`customer_id IN (SELECT ...)`,
`pk IN (SELECT ... @@ tsquery)`) or with a joined column (`customer.name = ...`). PostgreSQL cannot
turn such an OR into a BitmapOr of indexes; it walks ticket_updated_idx and tests every row
against a hashed subplan, which at 1M tickets reads the whole table when few tickets match
(a phone with no tickets, a rare word). The fix keeps one list query but gives the planner plain
indexable conditions:
- phone: look up the customers with that phone first (one tiny query on customer_phone_number_idx),
  then `contact_phone = d OR customer_id IN (ids)`: BitmapOr of two btree indexes.
- words: put the GIN expression itself in the WHERE clause instead of `pk IN (SELECT ...)`, and
  resolve customer-name prefixes to ids first: BitmapOr of the GIN index and ticket_customer_idx.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

MAX_CUSTOMERS = 50  # a name or phone shared by more customers than this is not a useful search anyway


def _customer_ids_by_phone(digits: str) -> list[int]:
    from kefu.customers.models import CustomerPhone

    return list(CustomerPhone.objects.filter(number=digits).values_list("customer_id", flat=True)[:MAX_CUSTOMERS])


def _customer_ids_by_name(prefix: str) -> list[int]:
    from kefu.customers.models import Customer

    return list(Customer.objects.filter(name__startswith=prefix).values_list("id", flat=True)[:MAX_CUSTOMERS])


def fulltext_q(text: str) -> Q:
    from kefu.core.text import query_tokens
    from kefu.tickets import selectors

    tokens = query_tokens(text)
    if not tokens:
        return Q(pk__in=[])
    if connection.vendor != "postgresql" or all(selectors.is_single_cjk(t) for t in tokens):
        return selectors.fulltext_q(text)  # unchanged: SQLite, and one-character queries (substring scan)
    tsquery = " & ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in tokens)
    # The exact expression of the ticket_search_gin index, so the planner can use it in a BitmapOr.
    return Q(
        RawSQL(
            '(array_to_tsvector(string_to_array("tickets_ticket"."search_text", \' \')) @@ %s::tsquery)',
            [tsquery],
            output_field=BooleanField(),
        )
    )


def search_q(text: str) -> Q:
    from kefu.tickets.selectors import NUMBER_RE, PHONE_RE

    text = text.strip()
    if NUMBER_RE.match(text):
        return Q(number=text.upper())
    if PHONE_RE.match(text) and sum(c.isdigit() for c in text) >= 5:
        digits = re.sub(r"\D", "", text)
        return Q(contact_phone=digits) | Q(customer_id__in=_customer_ids_by_phone(digits))
    by_name = _customer_ids_by_name(text)
    return fulltext_q(text) | Q(customer_id__in=by_name) if by_name else fulltext_q(text)


def install() -> None:
    from kefu.tickets import selectors

    selectors.search_q = search_q
