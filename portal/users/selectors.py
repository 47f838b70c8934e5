"""Reads about people that pages share."""

from django.db.models import Q, QuerySet

from portal.users.models import Role, User


def team_of(manager: User) -> QuerySet[User]:
    """The internal people whose escalations come to ``manager``: those who report to
    them and, for a sales manager, those who report to no active manager (the SLA
    sweep's ``managers_of`` is the same rule seen from the other side)."""
    reports = Q(staffprofile__manager=manager)
    if manager.has_role(Role.SALES_MANAGER):
        reports |= Q(staffprofile__manager__isnull=True) | Q(staffprofile__manager__is_active=False)
    return (
        User.objects.filter(reports, staffprofile__isnull=False, is_active=True)
        .exclude(pk=manager.pk)
        .order_by("name")
    )
