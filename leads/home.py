"""The start page of each role: what needs doing now, from the leads' point of view."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from dealers.models import Claim, Dealer
from leads import selectors
from leads.models import Lead, Queue
from portal.users.models import Role
from portal.users.selectors import team_of


@login_required
def home(request):
    user = request.user
    now = timezone.now()
    if membership := user.dealer_membership:
        leads = selectors.leads_visible_to(user)
        context = {
            "dealer": membership.dealer,
            "counts": selectors.lead_counts(leads, now=now),
            "urgent": selectors.leads_needing_action(leads),
            "now": now,
        }
        return render(request, "home/dealer.html", context)
    if user.has_role(Role.CHANNEL_MANAGER) or user.is_superuser:
        since = now - timedelta(days=30)
        leads = Lead.objects.all()
        context = {
            "counts": selectors.lead_counts(leads, now=now),
            "month": leads.filter(created_at__gte=since).aggregate(
                received=Count("pk"),
                to_dealers=Count("pk", filter=Q(owner_dealer__isnull=False)),
                won=Count("pk", filter=Q(status=Lead.Status.WON)),
            ),
            "pool": leads.filter(owner_queue_id=Queue.POOL, status__in=Lead.OPEN_STATUSES).count(),
            "pending_claims": Claim.objects.filter(status=Claim.Status.PENDING).count(),
            "dealers": Dealer.objects.aggregate(
                active=Count("pk", filter=Q(status=Dealer.Status.ACTIVE)),
                paused=Count("pk", filter=Q(status=Dealer.Status.PAUSED)),
            ),
            "urgent": selectors.leads_needing_action(leads),
            "now": now,
        }
        return render(request, "home/channel_manager.html", context)
    if user.has_role(Role.SALES_MANAGER):
        # Direct sales as its manager sees it: the team's leads and what was escalated
        # to them, not the whole channel (the dashboard has that).
        leads = selectors.leads_of_team(user)
        escalated, escalations = selectors.leads_escalated_to(user)
        context = {
            "team": [person.name for person in team_of(user)],
            "escalated": escalated,
            "escalations": escalations,
            "pool": Lead.objects.filter(
                owner_queue_id=Queue.POOL, status__in=Lead.OPEN_STATUSES
            ).count(),
        }
    else:
        leads = selectors.leads_visible_to(user)
        context = {}
    context |= {
        "counts": selectors.lead_counts(leads, now=now),
        "urgent": selectors.leads_needing_action(leads),
        "now": now,
    }
    return render(request, "home/sales.html", context)
