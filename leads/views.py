"""Lead pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from leads.access import get_lead_for_user


@login_required
def lead_detail(request, pk: int):
    lead = get_lead_for_user(request.user, pk)
    events = lead.events.select_related("actor").order_by("-at", "-id")
    return render(request, "leads/detail.html", {"lead": lead, "events": events})
