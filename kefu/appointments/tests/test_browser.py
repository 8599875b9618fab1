"""A customer books a service appointment on the portal in a real browser (Debian's chromium under
Playwright), keeps the signed link, and the front desk sees the booking on the day's board.
Pages are asked for in English (the browser's locale)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from kefu.accounts.choices import Role
from kefu.accounts.models import Team
from kefu.appointments import selectors
from kefu.appointments.choices import AppointmentStatus, BookingSource
from kefu.appointments.models import Appointment, Resource, ServiceType
from kefu.tests.factories import TierFactory, UserFactory
from kefu.tests.test_browser import PASSWORD, TIMEOUT_MS, launched_browser, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db) -> dict[str, Any]:
    """Made before the browser starts (see kefu/tests/test_browser.py, `cast`)."""
    team = Team.objects.create(name="售后", is_default=True)
    TierFactory(name="普通", is_default=True)
    UserFactory(username="advisor1", display_name="王顾问", team=team, role=Role.AGENT)
    resource = Resource.objects.create(name="服务顾问 王建国", hours="09:00-12:00 13:00-17:00", weekdays="0123456")
    service = ServiceType.objects.create(name="常规保养", slots=4)
    # The first day from tomorrow with a free time (public holidays are closed).
    day = date.today() + timedelta(days=1)
    while not selectors.free_slots(resources=[resource], service=service, first=day):
        day += timedelta(days=1)
    return {"day": day, "service": service.pk, "resource": resource.pk}


def test_customer_books_online_and_the_desk_sees_it(desk, live_server) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    base, day = live_server.url, desk["day"].isoformat()
    with launched_browser() as browser:
        customer = new_page(browser, mobile=True)
        customer.goto(f"{base}/appointments/online/")
        customer.select_option("select[name=service]", str(desk["service"]))
        customer.fill("input[name=day]", day)
        customer.get_by_role("button", name="Show free times").click()
        customer.wait_for_url(re.compile(rf"day={day}"))
        # Nothing chosen yet: the form says what is missing and keeps the typed fields.
        customer.fill("input[name=name]", "赵先生")
        customer.fill("input[name=phone]", "13912345678")
        customer.fill("input[name=plate]", "沪A12345")
        customer.get_by_role("button", name="Book", exact=True).click()
        expect(customer.locator(".errorlist").first).to_contain_text("Choose a free time")
        expect(customer.locator("input[name=name]")).to_have_value("赵先生")
        first = customer.locator("input[name=slot]").first
        chosen = first.get_attribute("value") or ""
        time_text = customer.locator("label.ap-slot").first.inner_text().split("·")[0].strip()
        first.check()
        customer.get_by_role("button", name="Book", exact=True).click()
        customer.wait_for_url(re.compile(r"/appointments/m/"))
        expect(customer.locator("h1")).to_have_text("Your appointment")
        expect(customer.locator(".ap-status")).to_contain_text("Booked")
        expect(customer.locator(".ap-summary")).to_contain_text(time_text)
        link = customer.url

        staff = new_page(browser)
        staff.goto(f"{base}/accounts/login/")
        staff.fill("input[name=username]", "advisor1")
        staff.fill("input[name=password]", PASSWORD)
        staff.get_by_role("button", name="Log in").click()
        staff.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
        staff.goto(f"{base}/appointments/?day={day}")
        row = staff.locator("tr.ap-booked", has_text="赵先生")
        expect(row).to_contain_text("沪A12345")
        expect(row).to_contain_text("常规保养")
        expect(row).to_contain_text(time_text)

        # The time the customer took is no longer offered to the next one.
        other = new_page(browser, mobile=True)
        other.goto(f"{base}/appointments/online/?service={desk['service']}&day={day}")
        expect(other.locator(f"input[name=slot][value='{chosen}']")).to_have_count(0)

        # The customer cancels through the link; the board shows it cancelled.
        customer.goto(link)
        customer.get_by_role("button", name="Cancel the appointment").click()
        expect(customer.locator(".ap-status")).to_contain_text("Cancelled")
        staff.reload()
        expect(staff.locator("tr.ap-cancelled", has_text="赵先生")).to_have_count(1)
    booking = Appointment.objects.get()
    assert (booking.source, booking.status, booking.asset and booking.asset.identifier) == (
        BookingSource.PORTAL, AppointmentStatus.CANCELLED, "沪A12345"
    )  # fmt: skip
