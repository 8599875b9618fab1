"""HTML pages of quality inspection: the inspector's workbench (queue), the scoring page (the
conversation and the pre-screen findings side by side), my results (agents, with appeals),
results, scorecards, sampling plans, calibration, appeals and coaching.

Thin: parse, access, call a selector or a service, render. A refused write comes back as a toast
with the service's (Chinese) message on the page it came from."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError
from kefu.quality import cases, review, sampling, selectors, services, weekly
from kefu.quality.access import is_manager, is_qa_lead, leads_team, may_inspect
from kefu.quality.choices import (
    TARGETED_RULES,
    AppealState,
    DrawReason,
    InspectionState,
    ItemKind,
    PlanPeriod,
)
from kefu.quality.export import weekly_xlsx
from kefu.quality.models import QualityCase, Scorecard, ScorecardItem, ScorecardSection, ScorecardVersion
from kefu.quality.scoring import prefill
from kefu.tickets.choices import Channel

Req = Any  # an authenticated HttpRequest (login_required)


def _act(request: Req, action: Callable[[], Any], ok: str, back: str) -> HttpResponse:
    try:
        action()
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, ok)
    return redirect(back)


def _inspector(request: Req) -> None:
    if not may_inspect(request.user):
        raise Http404


def _ctx(request: Req, tab: str, **kw: Any) -> dict[str, Any]:
    user = request.user
    return {
        "nav": "quality" if may_inspect(user) else "quality_mine", "tab": tab, "is_inspector": may_inspect(user),
        "is_qa_lead": is_qa_lead(user), "is_manager": is_manager(user),
        "is_team_lead": weekly.may_see_weekly(user), "now": timezone.now(), **kw,
    }


# --- conversation with evidence -----------------------------------------------------------------------


def _evidence_words(finding: dict[str, Any]) -> list[str]:
    raw = str(finding.get("evidence") or "")
    return [w for w in re.split(r"[、/,，]\s*", raw) if w.strip()]


def highlight(text: str, words: list[str]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is evidence) so the template can mark the evidence (escaped)."""
    words = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not words:
        return [(text, False)]
    pattern = re.compile("|".join(re.escape(w) for w in words))
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos:m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def _turns(item: Any) -> list[dict[str, Any]]:
    by_turn: dict[int, list[dict[str, Any]]] = {}
    for f in item.findings or []:
        if f.get("turn") is not None:
            by_turn.setdefault(int(f["turn"]), []).append(f)
    out = []
    for i, turn in enumerate(item.turns or []):
        found = by_turn.get(i, [])
        words = [w for f in found for w in _evidence_words(f)]
        spans = [str(turn.get("text") or "")[f["start"]:f["end"]] for f in found
                 if isinstance(f.get("start"), int) and isinstance(f.get("end"), int)]
        at = parse_datetime(str(turn.get("at") or ""))
        out.append({
            "index": i, "speaker": turn.get("speaker"), "author": turn.get("author", ""), "at": at,
            "pieces": highlight(str(turn.get("text") or ""), words + spans), "flagged": bool(found),
        })
    return out


def _score_rows(version: ScorecardVersion, values: dict[str, Any], findings: list[dict[str, Any]],
                comments: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    named: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        named.setdefault(str(f.get("item") or ""), []).append(f)
    rows = []
    for section, items in selectors.version_tree(version):
        for it in items:
            top = it.points if it.kind == ItemKind.SCORED else 1
            rows.append({
                "item": it, "section": section.name, "top": top, "value": values.get(str(it.pk)),
                "findings": named.get(it.name, []), "comment": (comments or {}).get(str(it.pk), ""),
            })
    return rows


def _posted_scores(request: Req, version: ScorecardVersion) -> tuple[dict[str, Any], dict[str, str]]:
    scores: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for it in ScorecardItem.objects.filter(section__version=version):
        raw = request.POST.get(f"score_{it.pk}", "")
        if raw != "":
            scores[str(it.pk)] = raw
        note = request.POST.get(f"note_{it.pk}", "").strip()
        if note:
            comments[str(it.pk)] = note
    return scores, comments


# --- workbench -------------------------------------------------------------------------------------------


@login_required
def queue(request: Req) -> HttpResponse:
    if not may_inspect(request.user):
        return redirect("quality:mine")
    user = request.user
    return render(request, "quality/queue.html", _ctx(
        request, "queue", mine=selectors.my_queue(user=user), free=selectors.queue(user=user, limit=50),
        calibrations=selectors.calibrations(user=user, open_only=True),
        appeals=selectors.appeals_waiting(user=user),
    ))


@login_required
@require_POST
def item_start(request: Req, item_id: int) -> HttpResponse:
    _inspector(request)
    try:
        insp = services.inspection_start(actor=request.user, item_id=item_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("quality:queue")
    return redirect("quality:inspection", inspection_id=insp.pk)


@login_required
def inspection(request: Req, inspection_id: int) -> HttpResponse:
    insp = selectors.inspection_get(user=request.user, inspection_id=inspection_id)
    if insp is None:
        raise Http404
    item = insp.item
    editable = insp.state == InspectionState.DRAFT and insp.inspector_id == request.user.pk
    values = insp.scores or (prefill(insp.version, item.findings or []) if editable else {})
    others = [i for i in selectors.item_inspections(user=request.user, item=item) if i.pk != insp.pk]
    return render(request, "quality/inspection.html", _ctx(
        request, "queue", insp=insp, item=item, turns=_turns(item), findings=item.findings or [],
        rows=_score_rows(insp.version, values, item.findings or [], insp.item_comments), editable=editable,
        others=others, events=selectors.item_events(user=request.user, item=item),
        prefilled=editable and not insp.scores,
        may_spot=is_manager(request.user) and insp.state == InspectionState.SUBMITTED and item.agent_id != request.user.pk,
        case=QualityCase.objects.filter(inspection=insp).first(),
        may_save_case=may_inspect(request.user) and insp.state == InspectionState.SUBMITTED,
    ))


@login_required
@require_POST
def inspection_save(request: Req, inspection_id: int) -> HttpResponse:
    _inspector(request)
    insp = selectors.inspection_get(user=request.user, inspection_id=inspection_id)
    if insp is None:
        raise Http404
    scores, comments = _posted_scores(request, insp.version)
    submit = request.POST.get("submit") == "1"
    back = reverse("quality:inspection", args=[inspection_id])
    try:
        services.inspection_save(
            actor=request.user, inspection_id=inspection_id, scores=scores, comment=request.POST.get("comment", ""),
            coaching=request.POST.get("coaching", ""), item_comments=comments, submit=submit,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    messages.success(request, _("Inspection submitted.") if submit else _("Draft saved."))
    return redirect("quality:queue" if submit else back)


@login_required
@require_POST
def spot_check(request: Req, item_id: int) -> HttpResponse:
    try:
        insp = review.spot_check(actor=request.user, item_id=item_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("quality:queue")
    return redirect("quality:inspection", inspection_id=insp.pk)


# --- my results, appeals, coaching ------------------------------------------------------------------------


@login_required
def mine(request: Req) -> HttpResponse:
    rows = selectors.my_results(user=request.user)
    for r in rows:
        r.deadline = review.appeal_deadline(r)  # type: ignore[attr-defined]
        r.may_appeal = r.item_appeal is None and timezone.now() < r.deadline  # type: ignore[attr-defined]
    passed = sum(1 for r in rows if r.passed)
    return render(request, "quality/mine.html", _ctx(
        request, "mine", rows=rows, passed=passed, rate=round(passed * 100 / len(rows), 1) if rows else None,
        coaching=selectors.coaching_for(user=request.user, open_only=False)[:20],
    ))


@login_required
@require_POST
def appeal_create(request: Req, inspection_id: int) -> HttpResponse:
    return _act(
        request, lambda: review.appeal_create(actor=request.user, inspection_id=inspection_id,
                                              reason=request.POST.get("reason", "")),
        _("Appeal sent to your team lead."), reverse("quality:mine"),
    )


@login_required
def appeals(request: Req) -> HttpResponse:
    user = request.user
    return render(request, "quality/appeals.html", _ctx(
        request, "appeals", waiting=selectors.appeals_waiting(user=user),
        rows=list(selectors.appeals_visible(user=user).order_by("-created_at")[:100]),
    ))


@login_required
def appeal_detail(request: Req, appeal_id: int) -> HttpResponse:
    appeal = selectors.appeal_get(user=request.user, appeal_id=appeal_id)
    if appeal is None:
        raise Http404
    insp = appeal.inspection
    user = request.user
    return render(request, "quality/appeal_detail.html", _ctx(
        request, "appeals", appeal=appeal, insp=insp, turns=_turns(insp.item),
        rows=_score_rows(insp.version, insp.scores, insp.item.findings or [], insp.item_comments),
        lead_step=appeal.state == AppealState.LEAD and leads_team(user, insp.item.team_id) and user.pk != appeal.agent_id,
        qa_step=appeal.state == AppealState.QA and is_qa_lead(user),
    ))


@login_required
@require_POST
def appeal_decide(request: Req, appeal_id: int) -> HttpResponse:
    appeal = selectors.appeal_get(user=request.user, appeal_id=appeal_id)
    if appeal is None:
        raise Http404
    back = reverse("quality:appeal", args=[appeal_id])
    note = request.POST.get("note", "")
    yes = request.POST.get("decision") == "yes"
    if appeal.state == AppealState.LEAD:
        return _act(request, lambda: review.appeal_lead_decide(actor=request.user, appeal_id=appeal_id, forward=yes,
                                                               note=note),
                    _("Forwarded to the QA lead.") if yes else _("Appeal rejected."), back)
    scores, _c = _posted_scores(request, appeal.inspection.version)
    return _act(request, lambda: review.appeal_qa_decide(actor=request.user, appeal_id=appeal_id, uphold=yes,
                                                         scores=scores, note=note),
                _("Appeal upheld: the new score counts.") if yes else _("Appeal rejected."), back)


@login_required
def coaching(request: Req) -> HttpResponse:
    return render(request, "quality/coaching.html", _ctx(
        request, "coaching", rows=selectors.coaching_for(user=request.user, open_only=False),
    ))


@login_required
@require_POST
def coaching_done(request: Req, task_id: int) -> HttpResponse:
    return _act(request, lambda: review.coaching_done(actor=request.user, task_id=task_id,
                                                      note=request.POST.get("note", "")),
                _("Coaching recorded."), reverse("quality:coaching"))


# --- calibration -----------------------------------------------------------------------------------------


@login_required
def calibrations(request: Req) -> HttpResponse:
    if not is_qa_lead(request.user):
        raise Http404
    return render(request, "quality/calibrations.html", _ctx(
        request, "calibrations", rows=selectors.calibrations(user=request.user),
    ))


@login_required
def calibration_detail(request: Req, calibration_id: int) -> HttpResponse:
    cal = selectors.calibration_get(user=request.user, calibration_id=calibration_id)
    if cal is None:
        raise Http404
    pair = []
    for insp in (cal.first, cal.second):
        pair.append({"insp": insp, "rows": _score_rows(insp.version, insp.scores, [], insp.item_comments)})
    return render(request, "quality/calibration_detail.html", _ctx(
        request, "calibrations", cal=cal, pair=pair, turns=_turns(cal.item),
        rows=_score_rows(cal.second.version, cal.second.scores, cal.item.findings or []),
    ))


@login_required
@require_POST
def calibration_settle(request: Req, calibration_id: int) -> HttpResponse:
    cal = selectors.calibration_get(user=request.user, calibration_id=calibration_id)
    if cal is None:
        raise Http404
    scores, _c = _posted_scores(request, cal.second.version)
    return _act(request, lambda: review.calibration_settle(actor=request.user, calibration_id=calibration_id,
                                                           scores=scores, note=request.POST.get("note", "")),
                _("Calibration settled."), reverse("quality:calibration", args=[calibration_id]))


# --- results -----------------------------------------------------------------------------------------------


def _day(value: str | None, default: Any) -> Any:
    return (parse_date(value) if value else None) or default


def _local(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


@login_required
def results(request: Req) -> HttpResponse:
    today = timezone.localdate()
    start_day = _day(request.GET.get("start"), today.replace(day=1) - timedelta(days=31))
    end_day = _day(request.GET.get("end"), today)
    start, end = _local(start_day), _local(end_day + timedelta(days=1))
    team_id = int(request.GET["team"]) if request.GET.get("team", "").isdigit() else None
    card_id = int(request.GET["scorecard"]) if request.GET.get("scorecard", "").isdigit() else None
    page = selectors.results_page(user=request.user, start=start, end=end, team_id=team_id, scorecard_id=card_id)
    chart = {**page.trend, "t_rate": _("Pass rate %"), "t_average": _("Average score")}
    return render(request, "quality/results.html", _ctx(
        request, "results", page=page, chart=chart, start=start_day, end=end_day, team_id=team_id, card_id=card_id,
        teams=Team.objects.filter(is_active=True).order_by("id"), cards=Scorecard.objects.order_by("id"),
        kappa=selectors.kappa_table(user=request.user, start=start, end=end),
    ))


# --- weekly report ----------------------------------------------------------------------------------------

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{1,2})$")


def _weekly(request: Req) -> weekly.WeeklyReport:
    if not weekly.may_see_weekly(request.user):
        raise Http404
    m = _WEEK_RE.match(request.GET.get("week", "").strip())
    year, week = weekly.week_of(timezone.localdate() - timedelta(days=7))  # default: last full week
    if m:
        year, week = int(m.group(1)), int(m.group(2))
    try:
        return weekly.weekly_report(user=request.user, year=year, week=week)
    except ValueError:
        raise Http404 from None


@login_required
def weekly_page(request: Req) -> HttpResponse:
    report = _weekly(request)
    prev = weekly.previous_week(report.year, report.week)
    nxt = weekly.week_of(report.last_day + timedelta(days=1))
    this = weekly.week_of(timezone.localdate())
    return render(request, "quality/weekly.html", _ctx(
        request, "weekly", report=report, prev_week=f"{prev[0]}-W{prev[1]:02d}",
        next_week=f"{nxt[0]}-W{nxt[1]:02d}" if nxt <= this else "",
    ))


@login_required
def weekly_download(request: Req) -> HttpResponse:
    report = _weekly(request)
    response = HttpResponse(
        weekly_xlsx(report), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="quality-{report.label}.xlsx"'
    return response


# --- scorecards --------------------------------------------------------------------------------------------


@login_required
def scorecards(request: Req) -> HttpResponse:
    _inspector(request)
    if request.method == "POST":
        def create() -> None:
            services.scorecard_create(actor=request.user, name=request.POST.get("name", ""),
                                      pass_mark=int(request.POST.get("pass_mark") or 80))
        return _act(request, create, _("Scorecard created."), reverse("quality:scorecards"))
    return render(request, "quality/scorecards.html", _ctx(request, "scorecards",
                                                             rows=selectors.scorecards_list(user=request.user)))


@login_required
def scorecard_edit(request: Req, scorecard_id: int) -> HttpResponse:
    card = selectors.scorecard_get(user=request.user, scorecard_id=scorecard_id)
    if card is None:
        raise Http404
    versions = list(card.versions.order_by("-number"))
    chosen = next((v for v in versions if str(v.number) == request.GET.get("v")), versions[0] if versions else None)
    return render(request, "quality/scorecard_edit.html", _ctx(
        request, "scorecards", card=card, versions=versions, version=chosen,
        tree=selectors.version_tree(chosen) if chosen else [], kinds=ItemKind.choices,
    ))


@login_required
@require_POST
def scorecard_action(request: Req, scorecard_id: int, action: str) -> HttpResponse:
    _inspector(request)
    user, post = request.user, request.POST
    back = reverse("quality:scorecard", args=[scorecard_id])
    version = ScorecardVersion.objects.filter(scorecard_id=scorecard_id, pk=post.get("version") or 0).first() \
        if str(post.get("version", "")).isdigit() else None

    def num(key: str, default: int = 0) -> int:
        raw = post.get(key, "")
        return int(raw) if raw.isdigit() else default

    actions: dict[str, Callable[[], Any]] = {
        "settings": lambda: services.scorecard_update(actor=user, scorecard_id=scorecard_id, name=post.get("name", ""),
                                                      pass_mark=num("pass_mark", 80), is_active=post.get("is_active") == "1"),
        "new_version": lambda: services.scorecard_version_new(actor=user, scorecard_id=scorecard_id),
    }
    if version is not None:
        actions["publish"] = lambda: services.scorecard_version_publish(actor=user, version=version)
        actions["section"] = lambda: services.scorecard_section_add(actor=user, version=version, name=post.get("name", "").strip() or _("Section"))
        section = ScorecardSection.objects.filter(version=version, pk=num("section")).first()
        if section is not None:
            actions["item"] = lambda: services.scorecard_item_add(
                actor=user, section=section, name=post.get("name", "").strip(), kind=post.get("kind", ItemKind.SCORED),
                points=num("points"), description=post.get("description", ""),
            )
        actions["delete_item"] = lambda: services.scorecard_item_delete(actor=user, item_id=num("item"))
    if action not in actions:
        messages.error(request, _("Choose a draft version first."))
        return redirect(back)
    return _act(request, actions[action], _("Saved."), back)


# --- sampling plans ------------------------------------------------------------------------------------------


def _plan_choices() -> dict[str, Any]:
    return {
        "cards": Scorecard.objects.filter(is_active=True).order_by("id"),
        "teams": Team.objects.filter(is_active=True).order_by("id"), "channels": Channel.choices,
        "periods": PlanPeriod.choices, "rules": [(r, DrawReason(r).label) for r in TARGETED_RULES],
        "inspectors": User.objects.filter(is_active=True, role="qa").order_by("id"),
    }


def _plan_form(request: Req) -> dict[str, Any]:
    post = request.POST
    ids = [int(i) for i in post.getlist("inspectors") if i.isdigit()]
    return {
        "name": post.get("name", ""), "scorecard_id": int(post["scorecard"]) if post.get("scorecard", "").isdigit() else 0,
        "team_id": int(post["team"]) if post.get("team", "").isdigit() else None, "channel": post.get("channel", ""),
        "period": post.get("period", PlanPeriod.MONTHLY), "random_share": post.get("random_share", "0.2"),
        "rules": post.getlist("rules"), "blind_share": post.get("blind_share", "0.1"),
        "blind_threshold": int(post["blind_threshold"]) if post.get("blind_threshold", "").isdigit() else 10,
        "recheck_share": post.get("recheck_share", "0.1"), "inspector_ids": ids, "seed": post.get("seed", ""),
        "slow_percentile": int(post["slow_percentile"]) if post.get("slow_percentile", "").isdigit() else 90,
    }


@login_required
def plans(request: Req) -> HttpResponse:
    _inspector(request)
    if request.method == "POST":
        return _act(request, lambda: sampling.plan_save(actor=request.user, **_plan_form(request)),
                    _("Plan saved."), reverse("quality:plans"))
    rows = selectors.plans_list(user=request.user)
    for p in rows:
        p.recent = selectors.plan_draws(plan=p, limit=3)  # type: ignore[attr-defined]
    return render(request, "quality/plans.html", _ctx(request, "plans", rows=rows, **_plan_choices()))


@login_required
def plan_edit(request: Req, plan_id: int) -> HttpResponse:
    """Change a plan: later draws follow the new settings; what was drawn stays as it was."""
    plan = selectors.plan_get(user=request.user, plan_id=plan_id)
    if plan is None or not is_qa_lead(request.user):
        raise Http404
    back = reverse("quality:plan_edit", args=[plan_id])
    if request.method == "POST":
        form = {**_plan_form(request), "is_active": request.POST.get("is_active") == "1"}
        try:
            sampling.plan_save(actor=request.user, plan_id=plan_id, **form)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect(back)
        messages.success(request, _("Plan saved."))
        return redirect("quality:plans")
    return render(request, "quality/plan_edit.html", _ctx(
        request, "plans", plan=plan, chosen_inspectors={u.pk for u in plan.inspectors.all()},
        drawn=plan.entries.count(), **_plan_choices(),
    ))


@login_required
@require_POST
def plan_draw(request: Req, plan_id: int) -> HttpResponse:
    start_day = parse_date(request.POST.get("start", "") or "")
    end_day = parse_date(request.POST.get("end", "") or "")
    start = _local(start_day) if start_day else None
    end = _local(end_day + timedelta(days=1)) if end_day else None

    def draw() -> None:
        got = sampling.plan_draw(plan_id=plan_id, actor=request.user, start=start, end=end,
                                 seed=request.POST.get("seed") or None)
        messages.info(request, _("%(n)s contacts drawn.") % {"n": len(got.entries)})

    return _act(request, draw, _("Drawn."), reverse("quality:plans"))


# --- case library ---------------------------------------------------------------------------------------


@login_required
def case_list(request: Req) -> HttpResponse:
    tag = request.GET.get("tag", "").strip()
    user = request.user
    rows = list(cases.cases_list(user=user, tag=tag)[:200])
    return render(request, "quality/cases.html", _ctx(
        request, "cases", rows=rows, tag=tag, tags=[(t, cases.tag_label(t)) for t in cases.case_tags(user=user)],
        shows_agent=cases.shows_agent(user),
    ))


@login_required
def case_detail(request: Req, case_id: int) -> HttpResponse:
    case = cases.case_get(user=request.user, case_id=case_id)
    if case is None:
        raise Http404
    insp = case.inspection
    item = insp.item
    turns = cases.masked_turns(item.turns)
    if not cases.shows_agent(request.user):  # read anonymised: no agent names on the turns
        turns = [{**t, "author": ""} for t in turns]
    shown = type(item)(turns=turns, findings=[])
    return render(request, "quality/case_detail.html", _ctx(
        request, "cases", case=case, insp=insp, item=item, turns=_turns(shown),
        tags=[(t, cases.tag_label(t)) for t in case.tag_list], tags_text=" ".join(case.tag_list),
        rows=_score_rows(insp.version, insp.scores, [], insp.item_comments), shows_agent=cases.shows_agent(request.user),
    ))


@login_required
@require_POST
def case_save(request: Req, inspection_id: int) -> HttpResponse:
    try:
        case = cases.case_save(actor=request.user, inspection_id=inspection_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("quality:inspection", inspection_id=inspection_id)
    messages.success(request, _("Saved to the case library."))
    return redirect("quality:case", case_id=case.pk)


@login_required
@require_POST
def case_update(request: Req, case_id: int) -> HttpResponse:
    post = request.POST
    return _act(request, lambda: cases.case_update(actor=request.user, case_id=case_id, title=post.get("title", ""),
                                                   tags=post.get("tags", ""), note=post.get("note", "")),
                _("Saved."), reverse("quality:case", args=[case_id]))
