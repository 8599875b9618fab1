"""Knowledge pages: knowledge base, editor with preview, review queue, canned replies, cases, the agent's
suggestion panel and reply picker (partials for the ticket page), and the public help center."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import DomainError
from kefu.core.htmx import (
    FORM_ERROR_STATUS,
    AuthedHtmxRequest,
    add_domain_error,
    render_region,
    toast,
    with_events,
)
from kefu.knowledge import selectors, services
from kefu.knowledge.access import access_article, access_case, is_reviewer, may_edit_article, may_review_case
from kefu.knowledge.choices import DocKind
from kefu.knowledge.forms import ArticleForm, CaseForm, ReplyForm, SearchFilterForm
from kefu.knowledge.markup import render_markdown, text_diff
from kefu.knowledge.search import SearchFilter, search, suggestions_for_text
from kefu.tickets.access import access_ticket


def _domain_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A service's refusal as an HTTP answer: 404 and 403 as Django's, others as a 400 with the message."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            if exc.status == 404:
                raise Http404 from exc
            if exc.status == 403:
                raise PermissionDenied(str(exc.message)) from exc
            return with_events(HttpResponse(str(exc.message), status=exc.status), kefuToast=toast(str(exc.message)))

    return wrapper


def _filter(request: HttpRequest) -> tuple[SearchFilterForm, SearchFilter]:
    form = SearchFilterForm(request.GET)
    form.is_valid()
    return form, form.search_filter()


@login_required
@_domain_errors
def index(request: AuthedHtmxRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    form, f = _filter(request)
    ctx: dict[str, Any] = {"nav": "knowledge", "q": q, "kinds": DocKind.choices, "selected": request.GET.getlist("kind"),
                           "form": form}
    ctx["hits"] = search(user=request.user, query=q, f=f) if q else []
    if not request.htmx:
        ctx["page"] = selectors.article_list_visible_to(user=request.user, cursor=request.GET.get("cursor"))
        ctx["due"] = selectors.articles_due_for_review(user=request.user)
        ctx["review"] = selectors.article_review_queue(user=request.user)
        ctx["case_review"] = selectors.case_review_queue(user=request.user)
    return render_region(request, "knowledge/knowledge_index.html", ctx, regions=("kb-results",))


def _article_ctx(request: AuthedHtmxRequest, article_id: int) -> dict[str, Any]:
    article = access_article(user=request.user, article_id=article_id)
    return {"nav": "knowledge", "article": article, "may_edit": may_edit_article(request.user, article),
            "reviewer": is_reviewer(request.user), "versions": selectors.article_versions(article=article),
            "attachments": list(article.attachments.all())}


@login_required
@_domain_errors
def article_detail(request: AuthedHtmxRequest, article_id: int) -> HttpResponse:
    ctx = _article_ctx(request, article_id)
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    if a.isdigit() and b.isdigit():
        by_n = {v.number: v for v in ctx["versions"]}
        if int(a) in by_n and int(b) in by_n:
            ctx["diff"] = text_diff(by_n[int(a)].body_md, by_n[int(b)].body_md)
    return render_region(request, "knowledge/article_detail.html", ctx, regions=("article-diff",))


@login_required
@_domain_errors
def article_edit(request: AuthedHtmxRequest, article_id: int | None = None) -> HttpResponse:
    article = access_article(user=request.user, article_id=article_id) if article_id else None
    initial = {"title": article.title, "body_md": article.body_md, "category": article.category_id,
               "is_public": article.is_public, "review_by": article.review_by} if article else {}
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if article is None:
                article = services.article_create(actor=request.user, data=services.ArticleInput(
                    title=d["title"], body_md=d["body_md"], category=d["category"], is_public=d["is_public"],
                    review_by=d["review_by"]))
            else:
                changes = {k: d[k] for k in ("title", "body_md", "category", "is_public", "review_by")}
                services.article_update(actor=request.user, article_id=article.pk, changes=changes, note=d["note"])
            return redirect("knowledge:article", article.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    status = FORM_ERROR_STATUS if request.method == "POST" else 200
    return render(request, "knowledge/article_edit.html", {"nav": "knowledge", "form": form, "article": article}, status=status)


@login_required
@_domain_errors
@require_POST
def article_preview(request: AuthedHtmxRequest) -> HttpResponse:
    return render(request, "knowledge/article_edit.html#article-preview", {"preview": render_markdown(request.POST.get("body_md", ""))})


@login_required
@_domain_errors
@require_POST
def article_transition(request: AuthedHtmxRequest, article_id: int) -> HttpResponse:
    try:
        services.article_transition(actor=request.user, article_id=article_id, status=request.POST.get("status", ""))
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        return with_events(redirect("knowledge:article", article_id), kefuToast=toast(str(exc.message)))
    return redirect("knowledge:article", article_id)


@login_required
@_domain_errors
@require_POST
def article_vote(request: AuthedHtmxRequest, article_id: int) -> HttpResponse:
    services.article_vote(actor=request.user, article_id=article_id, helpful=request.POST.get("helpful") == "1")
    return redirect("knowledge:article", article_id)


# --- canned replies -------------------------------------------------------------------------------------


@login_required
@_domain_errors
def replies(request: AuthedHtmxRequest) -> HttpResponse:
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply_save(actor=request.user, data=services.ReplyInput(**form.cleaned_data))
            return redirect("knowledge:replies")
        except DomainError as exc:
            add_domain_error(form, exc)
    ctx = {"nav": "knowledge", "form": form, "replies": list(selectors.reply_list_visible_to(user=request.user))}
    return render(request, "knowledge/reply_list.html", ctx, status=FORM_ERROR_STATUS if request.method == "POST" else 200)


@login_required
@_domain_errors
def reply_picker(request: AuthedHtmxRequest) -> HttpResponse:
    """hx-get target of the reply box: matches for what was typed (shortcut, title, pinyin initials)."""
    rows = selectors.reply_lookup(user=request.user, typed=request.GET.get("q", ""))
    return render(request, "knowledge/_reply_picker.html", {"replies": rows, "ticket": request.GET.get("ticket", "")})


@login_required
@_domain_errors
def reply_insert(request: AuthedHtmxRequest, reply_id: int) -> HttpResponse:
    """The chosen reply's text filled for the ticket (counted as a use), as a textarea for the reply box."""
    text = services.reply_fill(actor=request.user, reply_id=reply_id, ticket_number=request.GET.get("ticket") or None)
    return render(request, "knowledge/_reply_insert.html", {"text": text})


# --- cases -------------------------------------------------------------------------------------------


@login_required
@_domain_errors
def cases(request: AuthedHtmxRequest) -> HttpResponse:
    page = selectors.case_list_visible_to(user=request.user, status=request.GET.get("status", ""),
                                          cursor=request.GET.get("cursor"))
    return render(request, "knowledge/case_list.html", {"nav": "knowledge", "page": page,
                                                         "review": selectors.case_review_queue(user=request.user)})


@login_required
@_domain_errors
def case_detail(request: AuthedHtmxRequest, case_id: int) -> HttpResponse:
    case = access_case(user=request.user, case_id=case_id)
    return render(request, "knowledge/case_detail.html", {"nav": "knowledge", "case": case,
                                                           "may_review": may_review_case(request.user, case)})


@login_required
@_domain_errors
def case_new(request: AuthedHtmxRequest) -> HttpResponse:
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(actor=request.user, data=services.CaseInput(**form.cleaned_data), submit=True)
            return redirect("knowledge:case", case.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "knowledge/case_edit.html", {"nav": "knowledge", "form": form},
                  status=FORM_ERROR_STATUS if request.method == "POST" else 200)


@login_required
@_domain_errors
@require_POST
def case_from_ticket(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    """"Save as case" on a resolved ticket: one click, the case goes to the team lead's review."""
    try:
        case = services.case_save_from_ticket(actor=request.user, ticket_number=number)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        if not request.htmx:
            messages.error(request, str(exc.message))
            return redirect("tickets:detail", number)
        return with_events(HttpResponse(status=204), kefuToast=toast(str(exc.message)))
    response: HttpResponse = redirect("knowledge:case", case.pk)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"/knowledge/cases/{case.pk}/"
    return response


@login_required
@_domain_errors
@require_POST
def case_review(request: AuthedHtmxRequest, case_id: int) -> HttpResponse:
    services.case_review(actor=request.user, case_id=case_id, approve=request.POST.get("approve") == "1",
                         note=request.POST.get("note", ""))
    return redirect("knowledge:case", case_id)


# --- the agent's suggestion panel ------------------------------------------------------------------------


@login_required
@_domain_errors
def suggestions(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    """Top 5 articles, replies and cases for the ticket's text (a partial for the ticket page)."""
    ticket = access_ticket(user=request.user, number=number)
    hits = suggestions_for_text(user=request.user, text=f"{ticket.title} {ticket.description}")
    return render(request, "knowledge/_suggestions.html", {"hits": hits, "ticket": ticket})


@login_required
@_domain_errors
@require_POST
def suggestion_feedback(request: AuthedHtmxRequest, number: str) -> HttpResponse:
    oid = request.POST.get("object_id", "")
    if not oid.isdigit():
        return HttpResponse(status=400)
    services.suggestion_feedback(actor=request.user, kind=request.POST.get("kind", ""), object_id=int(oid),
                                 action=request.POST.get("action", ""), ticket_number=number)
    return with_events(HttpResponse(_("Thanks")), kefuToast=toast(_("Thanks for the feedback.")))


# --- public help center (no login) ------------------------------------------------------------------------


def help_index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    ctx = {"q": q, "hits": search(user=None, query=q) if q else [], "articles": [] if q else selectors.public_articles()}
    return render(request, "knowledge/help_index.html", ctx)


@_domain_errors
def help_article(request: HttpRequest, article_id: int) -> HttpResponse:
    article = selectors.public_article(article_id=article_id)
    if article is None:
        raise Http404
    voted = False
    if request.method == "POST":
        services.article_vote(actor=None, article_id=article.pk, helpful=request.POST.get("helpful") == "1")
        voted = True
    return render(request, "knowledge/help_article.html", {"article": article, "voted": voted})


