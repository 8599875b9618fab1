"""The workforce section of a pack: plan against what happened per queue, the figures of
kefu.workforce.selectors.staffing_summary, checked by hand and against the workforce API's forecast and
schedule (coverage) for the same days, and carried into the Excel and the PDF."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from kefu.accounts.models import Team
from kefu.accounts.services import api_token_create
from kefu.performance.periods import Period
from kefu.reports.build import build
from kefu.reports.choices import Section
from kefu.reports.excel import render_xlsx
from kefu.reports.pdf import render_pdf
from kefu.reports.services import pack_create
from kefu.workforce import planning
from kefu.workforce.choices import ScheduleStatus
from kefu.workforce.models import Forecast, IntervalVolume, Queue, Schedule, Shift

pytestmark = pytest.mark.django_db

NOV = Period.parse("2026-11")  # Sunday 1 November .. Monday 30 November
W1, W2 = date(2026, 10, 26), date(2026, 11, 2)  # the Mondays of the weeks with 1 and 2 November


def _at(day: date, hour: int):  # type: ignore[no-untyped-def]
    return planning.local_midnight(day) + timedelta(hours=hour)


def _week(cells: dict[tuple[int, int], float]) -> list[float]:
    out = [0.0] * (7 * 24)
    for (d, h), v in cells.items():
        out[d * 24 + h] = v
    return out


@pytest.fixture
def plan(front_team, agent_alice, teammate_bob, manager_mike):  # type: ignore[no-untyped-def]
    q = Queue.objects.create(name="客服热线", team=front_team, interval_minutes=60, shrinkage=0.5)
    # Saturday 31 October is outside November: its 100 forecast / 50 counted contacts must not count.
    f1 = Forecast.objects.create(
        queue=q,
        week_start=W1,
        method="baseline",
        calls=_week({(6, 10): 10, (5, 10): 100}),
        aht=_week({}),
        agents=_week({}),
        heads=[int(v) for v in _week({(6, 10): 4, (5, 10): 9})],
    )
    f2 = Forecast.objects.create(
        queue=q,
        week_start=W2,
        method="baseline",
        calls=_week({(0, 9): 20}),
        aht=_week({}),
        agents=_week({}),
        heads=[int(v) for v in _week({(0, 9): 6})],
    )
    IntervalVolume.objects.bulk_create(
        [
            IntervalVolume(queue=q, start=_at(date(2026, 11, 1), 10), calls=12, handle_seconds=3600),
            IntervalVolume(queue=q, start=_at(date(2026, 10, 31), 10), calls=50, handle_seconds=9000),
            IntervalVolume(queue=q, start=_at(date(2026, 11, 2), 9), calls=16, handle_seconds=4800),
        ]
    )
    s2 = Schedule.objects.create(
        queue=q, week_start=W2, forecast=f2, status=ScheduleStatus.PUBLISHED, created_by=manager_mike
    )
    for n, agent in enumerate([agent_alice, teammate_bob]):  # two heads on duty Monday 08:00–12:00
        Shift.objects.create(schedule=s2, agent=agent, tour=n, day=W2, start=_at(W2, 8), end=_at(W2, 12))
    return {"queue": q, "forecasts": [f1, f2], "schedule": s2}


def test_workforce_figures_by_hand(plan, manager_mike):
    pack = pack_create(actor=manager_mike, name="月报", period_kind="month", sections=[Section.WORKFORCE])
    section = build(pack=pack, period=NOV).section(Section.WORKFORCE)
    assert section is not None
    # forecast 10 + 20; counted 12 + 16; WAPE (|12−10| + |16−20|) / 28 = 21.4 %; required (4 + 6) h;
    # scheduled 2 heads × 4 h = 8 h → staffing 80 %; short: Sunday 10:00 (0 < 4), Monday 09:00 (2 < 6);
    # occupancy (3600 + 4800) s / (8 h × 3600 × (1 − 0.5)) = 58.3 %.
    assert section.rows == [["客服热线", 30.0, 28.0, 21.4, 10.0, 8.0, 80.0, 2, 58.3]]


def test_workforce_figures_equal_the_workforce_api(plan, manager_mike):
    pack = pack_create(actor=manager_mike, name="月报", period_kind="month", sections=[Section.WORKFORCE])
    row = build(pack=pack, period=NOV).section(Section.WORKFORCE).rows[0]  # type: ignore[union-attr]
    api = Client(headers={"Authorization": f"Bearer {api_token_create(user=manager_mike, name='t')[1]}"})
    calls = heads = 0.0
    in_nov = lambda week, i: NOV.start <= week + timedelta(days=i // 24) < NOV.end  # noqa: E731
    for fc in plan["forecasts"]:
        body = api.get(f"/api/v1/workforce/forecasts/{fc.pk}").json()
        req = api.get(f"/api/v1/workforce/forecasts/{fc.pk}/requirements").json()
        calls += sum(v for i, v in enumerate(body["calls"]) if in_nov(fc.week_start, i))
        heads += sum(v for i, v in enumerate(req["heads"]) if in_nov(fc.week_start, i))
    coverage = api.get(f"/api/v1/workforce/schedules/{plan['schedule'].pk}").json()["coverage"]
    scheduled = sum(v for i, v in enumerate(coverage) if in_nov(W2, i))
    assert (row[1], row[4], row[5]) == (calls, heads * 1.0, scheduled * 1.0)
    assert row[6] == round(100 * scheduled / heads, 1)


def test_workforce_section_scope_and_files(plan, manager_mike, lead_linda, agent_alice):
    other = Team.objects.create(name="二线")
    other_pack = pack_create(
        actor=manager_mike,
        name="二线月报",
        period_kind="month",
        team_id=other.pk,
        sections=[Section.WORKFORCE],
    )
    assert build(pack=other_pack, period=NOV).section(Section.WORKFORCE).rows == []  # type: ignore[union-attr]
    lead_pack = pack_create(
        actor=lead_linda,
        name="班组月报",
        period_kind="month",
        team_id=lead_linda.team_id,
        sections=[Section.WORKFORCE],
    )
    data = build(pack=lead_pack, period=NOV).as_dict()
    assert data["sections"][0]["rows"][0][0] == "客服热线"
    wb = load_workbook(io.BytesIO(render_xlsx(data)))
    ws = wb[str(Section.WORKFORCE.label)]
    assert ws["G2"].value == 80.0 and ws["G2"].number_format == '0.0"%"'
    assert ws["E2"].value == 10.0 and ws.freeze_panes == "B2"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(data))).pages)
    assert "客服热线" in text and "80.0%" in text and "58.3%" in text


def _ops(reader: PdfReader) -> list[tuple[str, list[float]]]:
    from pypdf.generic import ContentStream

    out = []
    for page in reader.pages:
        content = ContentStream(page.get_contents(), reader)
        for operands, op in content.operations:
            out.append((op.decode("latin-1"), [float(o) for o in operands if isinstance(o, (int, float))]))
    return out


def _is(rgb: list[float], hex_colour: str) -> bool:
    want = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    return len(rgb) == 3 and all(abs(a - b) < 0.01 for a, b in zip(rgb, want, strict=True))


def test_trend_section_equals_the_kpi_api_per_day_and_is_drawn(world, manager_mike):
    from kefu.reports.tests.conftest import at

    pack = pack_create(actor=manager_mike, name="月报", period_kind="month", sections=[Section.TREND])
    api = Client(headers={"Authorization": f"Bearer {api_token_create(user=manager_mike, name='t')[1]}"})
    with at("2026-11-03 09:00"):
        data = build(pack=pack, period=Period.parse("2026-10"))
        trend = data.section(Section.TREND)
        assert trend is not None and len(trend.rows) == 31 and trend.rows[0][0] == "10-01"
        for day, row in zip(range(1, 32), trend.rows, strict=True):
            got = api.get(
                "/api/v1/performance/metrics",
                {"metrics": "contacts_handled,sla_attainment", "period": f"2026-10-{day:02d}"},
            ).json()
            assert row[1] == (got["total"]["values"]["contacts_handled"] or 0), day
            assert row[2] == got["total"]["values"]["sla_attainment"], day
        assert sum(r[1] for r in trend.rows) == 6  # the October world's six contacts
    reader = PdfReader(io.BytesIO(render_pdf(data.as_dict())))
    ops = _ops(reader)
    # The bar chart fills its bars in #5470C6: one rectangle per day with contacts; the line is stroked in #91CC75.
    bars = 0
    fill = False
    for op, args in ops:
        if op == "rg":
            fill = _is(args, "5470C6")
        elif op == "re" and fill:
            bars += 1
    assert bars == sum(1 for r in trend.rows if r[1])
    assert any(op == "RG" and _is(args, "91CC75") for op, args in ops)
    text = "".join(p.extract_text() for p in reader.pages)
    assert text.count("10-01") >= 2  # in the table and under the charts' first category


def test_trend_buckets():
    from kefu.reports.build import trend_buckets

    assert [p.key for p in trend_buckets(Period.parse("2026-W45"))][0] == "2026-11-02"
    assert len(trend_buckets(Period.parse("2026-W45"))) == 7
    # Q4 2026 starts on a Thursday: the weeks starting in it, from Monday 5 October to 28 December.
    q = trend_buckets(Period.parse("2026-Q4"))
    assert (q[0].start, q[-1].start, len(q)) == (date(2026, 10, 5), date(2026, 12, 28), 13)
    assert [p.key for p in trend_buckets(Period.parse("2026"))] == [f"2026-{m:02d}" for m in range(1, 13)]
