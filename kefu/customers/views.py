"""Staff customer pages: search (also the intake's phone lookup), profile, archived documents."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kefu.core.htmx import AuthedHtmxRequest, render_region
from kefu.customers.models import Customer
from kefu.customers.sections import sections_for
from kefu.customers.selectors import contact_view, customer_documents_visible, customer_get, customer_search


@login_required
def customer_search_view(request: AuthedHtmxRequest) -> HttpResponse:
    """By phone, email, name prefix, plate or external id. The intake's phone box calls it with `phone`
    and HX-Target `intake-customer`, and gets the match card back."""
    q = (request.GET.get("q") or request.GET.get("phone") or "").strip()[:100]
    customers = [
        {"customer": c, "contacts": contact_view(customer=c, viewer=request.user)}
        for c in customer_search(viewer=request.user, q=q, limit=20)
    ]
    context = {"q": q, "customers": customers, "nav": "customers"}
    if request.htmx and request.htmx.target == "intake-customer":
        return render(request, "customers/_intake_match.html", context)
    return render_region(request, "customers/customer_search.html", context, regions=("customer-results",))


def _customer_or_404(request: AuthedHtmxRequest, customer_id: int) -> Customer:
    customer = customer_get(viewer=request.user, customer_id=customer_id)
    if customer is None:
        raise Http404(_("Customer not found."))
    return customer


@login_required
def customer_detail(request: AuthedHtmxRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    context = {
        "customer": customer,
        "contacts": contact_view(customer=customer, viewer=request.user),
        "sections": sections_for(request, customer),
        "documents": customer_documents_visible(viewer=request.user, customer=customer),
        "nav": "customers",
    }
    return render(request, "customers/customer_detail.html", context)


@login_required
def document_download(request: AuthedHtmxRequest, customer_id: int, document_id: int) -> FileResponse:
    """Archived documents are served only through here, to signed-in staff; never from a public URL."""
    customer = _customer_or_404(request, customer_id)
    doc = next((d for d in customer_documents_visible(viewer=request.user, customer=customer) if d.pk == document_id), None)
    if doc is None:
        raise Http404(_("Document not found."))
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing.")) from exc
    return FileResponse(handle, as_attachment=True, filename=doc.name, content_type=doc.content_type)
