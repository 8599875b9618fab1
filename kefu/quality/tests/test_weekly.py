from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kefu.conftest import login
from kefu.quality import review, services, weekly
from kefu.quality.export import compared_row, weekly_xlsx
from kefu.quality.models import InspectionItem
from kefu.quality.results import qa_total
from kefu.quality.tests.conftest import closed_ticket, scores


def _inspect(agent, qa, card, polite: int, fatal: int = 1):
    item = services.item_capture_ticket(ticket_id=closed_ticket(agent).pk)
    return services.inspection_submit(actor=qa, item_id=item.pk, scores=scores(card, polite, fatal))


@pytest.fixture
def week_data(card, agent_alice, teammate_bob, outsider_charlie, qa_quinn, qa_lead_lucy, lead_linda):
    """This week: alice 100 / 60 (appealed, upheld to 90), bob 85 with a fatal failure, charlie 70.
    The week before: alice 100, bob 50."""
    _inspect(agent_alice, qa_quinn, card, 100)
    low = _inspect(agent_alice, qa_quinn, card, 60)
    _inspect(teammate_bob, qa_quinn, card, 85, fatal=0)
    _inspect(outsider_charlie, qa_quinn, card, 70)
    old = [_inspect(agent_alice, qa_quinn, card, 100), _inspect(teammate_bob, qa_quinn, card, 50)]
    InspectionItem.objects.filter(pk__in=[i.item_id for i in old]).update(
        contact_at=timezone.now() - timedelta(days=7)
    )
    appeal = review.appeal_create(actor=agent_alice, inspection_id=low.pk, reason="客户先挂断了")
    review.appeal_lead_decide(actor=lead_linda, appeal_id=appeal.pk, forward=True)
    review.appeal_qa_decide(actor=qa_lead_lucy, appeal_id=appeal.pk, uphold=True, scores=scores(card, 90))
    return weekly.week_of(timezone.localdate())


def test_weekly_report_compares_with_the_week_before(week_data, qa_quinn, agent_alice, teammate_bob):
    year, week = week_data
    r = weekly.weekly_report(user=qa_quinn, year=year, week=week)
    # alice 100 + 90 (upheld), bob 85 but fatal, charlie 70: 2 of 4 pass
    assert (r.current.total.inspected, r.current.total.passed, r.current.total.average) == (4, 2, 86.2)
    assert (r.previous.total.inspected, r.previous.total.rate) == (2, 50.0)
    assert r.total.rate_change == 0.0 and r.total.average_change == 11.2
    assert r.fatal == 1 and r.fatal_before == 0
    assert (r.appeals_opened, r.appeals_upheld) == (1, 1)
    rows = {c.key: c for c in r.by_agent}
    assert rows[agent_alice.pk].now.rate == 100.0 and rows[agent_alice.pk].before.rate == 100.0
    assert rows[teammate_bob.pk].now.rate == 0.0 and rows[teammate_bob.pk].before.average == 50.0
    assert [s.name for s in r.worst][:1] in (["泄露客户信息"], ["礼貌用语"])
    # the same numbers as the results module the KPIs read
    total = qa_total(start=r.start, end=r.end)
    assert (total.inspected, total.pass_rate, total.average) == (4, 50.0, 86.2)


def test_weekly_report_is_scoped_for_a_team_lead(week_data, lead_linda, front_team):
    year, week = week_data
    r = weekly.weekly_report(user=lead_linda, year=year, week=week)
    assert [c.key for c in r.by_team] == [front_team.pk]
    assert r.current.total.inspected == 3 and r.kappa == [] and r.calibrations_opened == 0


def test_week_bounds_are_local_iso_weeks():
    start, end = weekly.iso_week_bounds(2026, 1)
    assert timezone.localtime(start).isoformat() == "2025-12-29T00:00:00+08:00"
    assert end - start == timedelta(days=7)
    assert weekly.previous_week(2026, 1) == (2025, 52)
    with pytest.raises(ValueError):
        weekly.iso_week_bounds(2026, 54)


def test_excel_figures_equal_the_report(week_data, qa_quinn):
    year, week = week_data
    r = weekly.weekly_report(user=qa_quinn, year=year, week=week)
    wb = load_workbook(io.BytesIO(weekly_xlsx(r)))
    summary = wb.worksheets[0]
    figures = [[c.value for c in row] for row in summary.iter_rows(min_row=5, max_col=3)]
    assert figures[0][1:] == [r.current.total.inspected, r.previous.total.inspected]
    assert figures[1][1:] == [r.current.total.rate, r.previous.total.rate]
    assert figures[2][1:] == [r.current.total.average, r.previous.total.average]
    assert figures[3][1:] == [r.fatal, r.fatal_before]
    assert [f[1] for f in figures[4:7]] == [r.appeals_opened, r.appeals_upheld, r.appeals_rejected]
    assert summary.cell(row=6, column=2).number_format == '0.0"%"'
    agents = [[c.value for c in row] for row in wb.worksheets[2].iter_rows(min_row=2)]
    assert agents == [compared_row(c) for c in r.by_agent]
    teams = [[c.value for c in row] for row in wb.worksheets[1].iter_rows(min_row=2)]
    assert teams == [compared_row(c) for c in r.by_team]
    worst = [[c.value for c in row] for row in wb.worksheets[3].iter_rows(min_row=2)]
    assert worst == [[s.name, s.scored, s.failed, s.fail_rate, s.share] for s in r.worst]


def test_weekly_page_and_download(client, week_data, qa_quinn, lead_linda, agent_alice):
    year, week = week_data
    label = f"{year}-W{week:02d}"
    page = login(client, qa_quinn).get(f"/quality/weekly/?week={label}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-week="{label}"' in html
    assert 'data-figure="pass_rate" data-value="50.0"' in html and 'data-figure="fatal" data-value="1"' in html
    got = client.get(f"/quality/weekly.xlsx?week={label}")
    assert got.status_code == 200 and got["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(got.content))
    assert wb.worksheets[0].cell(row=6, column=2).value == 50.0
    assert client.get("/quality/weekly/?week=2026-W60").status_code == 404
    assert login(client, lead_linda).get("/quality/weekly/").status_code == 200
    assert login(client, agent_alice).get(f"/quality/weekly/?week={label}").status_code == 404
    assert client.get(f"/quality/weekly.xlsx?week={label}").status_code == 404
