"""The start page of each role, and the language switch."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from dealers.models import Claim, Dealer
from leads import selectors
from leads.models import Lead, Queue
from portal.users.models import Role, User
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


def favicon(request):
    """Browsers ask for /favicon.ico on pages without an icon link (API answers, files):
    the portal's icon, not a 404 in the log."""
    return redirect(static("img/favicon.svg"), permanent=True)


@require_POST
def set_language(request):
    """Django's language switch; a signed-in user's choice is also remembered on the
    account so e-mails come in that language."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(Lead._meta.get_field("language").choices):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response
