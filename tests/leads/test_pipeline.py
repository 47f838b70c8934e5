"""The pipeline services: what a lead's owner does with it (DESIGN.md, "Pipeline",
"First update")."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads import selectors
from leads.access import ACT, user_has_lead_perm
from leads.models import (
    Assignment,
    Lead,
    LeadEvent,
    LeadGroupObjectPermission,
    LeadUserObjectPermission,
    Queue,
)
from leads.services import pipeline
from leads.services.pipeline import IllegalTransition
from portal.users.models import Notification, Role
from tests.factories import DealerMemberFactory, StaffFactory, territory_with
from tests.leads.pipeline_world import make_world, new_lead

pytestmark = pytest.mark.django_db
S = Lead.Status
TOMORROW = timezone.localdate() + timedelta(days=1)


@pytest.fixture
def world():
    return make_world()


def stint(lead) -> Assignment:
    return Assignment.objects.filter(lead=lead).order_by("-started_at", "-pk").first()


def accept(world, lead, actor=None):
    return pipeline.lead_accept(
        lead=lead, actor=actor or world.user, next_step="Call to plan a demo", next_step_on=TOMORROW
    )


# --- accept and the first update ------------------------------------------------------


def test_accepting_records_the_first_update_and_stops_the_clocks(world):
    lead = world.lead()
    assert lead.owner_dealer == world.dealer
    assert lead.recycle_due_at is not None and lead.first_update_due_at is not None
    lead = accept(world, lead)
    lead.refresh_from_db()
    assert lead.status == S.ACCEPTED
    assert lead.next_step == "Call to plan a demo" and lead.next_step_on == TOMORROW
    assert lead.first_update_due_at is None
    assert lead.reminder_due_at is None
    assert lead.escalation_due_at is None
    assert lead.recycle_due_at is None
    current = stint(lead)
    assert current.first_update_at is not None
    assert current.first_update_in_sla is True
    assert current.first_update_hours is not None and current.first_update_hours >= 0
    event = lead.events.get(kind=LeadEvent.Kind.ACCEPTED)
    assert event.actor == world.user
    assert event.data["next_step"] == "Call to plan a demo"


def test_a_late_first_update_is_recorded_outside_the_sla(world):
    lead = world.lead()
    due = stint(lead).sla_due_at
    pipeline.lead_log_contact(
        lead=lead,
        actor=world.user,
        channel="phone",
        outcome="no_answer",
        now=due + timedelta(hours=1),
    )
    current = stint(lead)
    assert current.first_update_in_sla is False
    assert current.first_update_hours >= 16  # two working days of 9 hours, less a little


def test_only_the_first_update_is_recorded(world):
    lead = world.lead()
    first_moment = timezone.now()
    pipeline.lead_log_contact(
        lead=lead, actor=world.user, channel="phone", outcome="reached", now=first_moment
    )
    accept(world, lead)
    assert stint(lead).first_update_at == first_moment


def test_an_action_by_someone_else_than_the_owner_is_no_first_update(world):
    manager = StaffFactory(role=Role.CHANNEL_MANAGER).user
    lead = world.lead()
    pipeline.lead_log_contact(lead=lead, actor=manager, channel="phone", outcome="reached")
    lead.refresh_from_db()
    assert stint(lead).first_update_at is None
    assert lead.recycle_due_at is not None


def test_a_note_is_no_update(world):
    lead = world.lead()
    pipeline.lead_add_note(lead=lead, actor=world.user, note="Looks promising")
    lead.refresh_from_db()
    assert stint(lead).first_update_at is None
    assert lead.first_update_due_at is not None
    assert lead.events.get(kind=LeadEvent.Kind.NOTE).reason == {"text": "Looks promising"}


def test_accept_needs_a_next_step_and_a_date_not_in_the_past(world):
    lead = world.lead()
    with pytest.raises(ValidationError) as error:
        pipeline.lead_accept(
            lead=lead, actor=world.user, next_step=" ", next_step_on=TOMORROW - timedelta(days=5)
        )
    assert set(error.value.message_dict) == {"next_step", "next_step_on"}
    lead.refresh_from_db()
    assert lead.status == S.NEW
    assert not lead.events.filter(kind=LeadEvent.Kind.ACCEPTED).exists()


def test_a_lead_is_accepted_only_once(world):
    lead = accept(world, world.lead())
    with pytest.raises(IllegalTransition, match="Only a new lead can be accepted"):
        accept(world, lead)
    assert lead.events.filter(kind=LeadEvent.Kind.ACCEPTED).count() == 1


# --- the pipeline -----------------------------------------------------------------------


def test_the_pipeline_moves_forward_and_closes_as_won_with_a_value(world):
    lead = accept(world, world.lead())
    for status in (S.CONTACTED, S.MEETING, S.PROPOSAL):
        lead = pipeline.lead_set_status(lead=lead, actor=world.user, status=status)
        assert lead.status == status
    lead = pipeline.lead_set_status(lead=lead, actor=world.user, status=S.WON, won_value="48000")
    lead.refresh_from_db()
    assert lead.status == S.WON
    assert lead.won_value == Decimal("48000.00")
    assert lead.closed_at is not None
    closed = stint(lead)
    assert closed.ended_at is not None
    assert closed.end_reason == Assignment.EndReason.WON
    assert closed.won_value == Decimal("48000.00")
    moves = [e.data["to"] for e in lead.events.filter(kind=LeadEvent.Kind.STATUS)]
    assert moves == ["contacted", "meeting", "proposal", "won"]


def test_skipping_forward_is_fine_moving_back_is_not(world):
    lead = accept(world, world.lead())
    lead = pipeline.lead_set_status(lead=lead, actor=world.user, status=S.PROPOSAL)
    with pytest.raises(IllegalTransition, match="cannot move back from proposal to meeting"):
        pipeline.lead_set_status(lead=lead, actor=world.user, status=S.MEETING)
    lead.refresh_from_db()
    assert lead.status == S.PROPOSAL


def test_a_new_lead_must_be_accepted_before_the_pipeline(world):
    lead = world.lead()
    with pytest.raises(IllegalTransition, match="Accept the lead first"):
        pipeline.lead_set_status(lead=lead, actor=world.user, status=S.CONTACTED)


@pytest.mark.parametrize("status", ["accepted", "rejected", "new", "recycled", "nonsense"])
def test_statuses_that_are_not_moves_are_refused_with_a_message(world, status):
    lead = accept(world, world.lead())
    with pytest.raises(IllegalTransition) as error:
        pipeline.lead_set_status(lead=lead, actor=world.user, status=status)
    assert error.value.messages[0]


def test_won_needs_a_positive_value(world):
    lead = accept(world, world.lead())
    for value in (None, "", "abc", "0", "-5"):
        with pytest.raises(ValidationError) as error:
            pipeline.lead_set_status(lead=lead, actor=world.user, status=S.WON, won_value=value)
        assert "won_value" in error.value.message_dict
    lead.refresh_from_db()
    assert lead.status == S.ACCEPTED


def test_lost_needs_a_reason_and_other_needs_a_text(world):
    lead = accept(world, world.lead())
    with pytest.raises(ValidationError) as error:
        pipeline.lead_set_status(lead=lead, actor=world.user, status=S.LOST)
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        pipeline.lead_set_status(lead=lead, actor=world.user, status=S.LOST, reason="other")
    assert "note" in error.value.message_dict
    lead = pipeline.lead_set_status(
        lead=lead, actor=world.user, status=S.LOST, reason="other", note="Moved abroad"
    )
    lead.refresh_from_db()
    assert (lead.status, lead.close_reason, lead.close_note) == (S.LOST, "other", "Moved abroad")
    assert stint(lead).end_reason == Assignment.EndReason.LOST


def test_a_new_lead_can_be_lost_and_that_is_its_first_update(world):
    lead = world.lead()
    lead = pipeline.lead_set_status(lead=lead, actor=world.user, status=S.LOST, reason="no_budget")
    lead.refresh_from_db()
    assert lead.status == S.LOST
    assert lead.recycle_due_at is None
    assert stint(lead).first_update_at is not None


def test_a_closed_lead_does_not_move_any_more(world):
    lead = accept(world, world.lead())
    lead = pipeline.lead_set_status(lead=lead, actor=world.user, status=S.WON, won_value="10")
    with pytest.raises(IllegalTransition, match="cannot change any more"):
        pipeline.lead_set_status(lead=lead, actor=world.user, status=S.LOST, reason="no_budget")
    with pytest.raises(IllegalTransition):
        pipeline.lead_log_contact(lead=lead, actor=world.user, channel="phone", outcome="reached")
    # a note is still welcome
    pipeline.lead_add_note(lead=lead, actor=world.user, note="Delivered in March")


def test_allowed_moves():
    assert pipeline.allowed_moves("new") == ["lost"]
    assert pipeline.allowed_moves("accepted") == ["contacted", "meeting", "proposal", "won", "lost"]
    assert pipeline.allowed_moves("proposal") == ["won", "lost"]
    assert pipeline.allowed_moves("won") == []
    assert pipeline.allowed_moves("nurture") == []


# --- reject -----------------------------------------------------------------------------


def test_rejecting_routes_the_lead_again_without_the_dealer_who_loses_access(world):
    lead = world.lead()
    assert lead in selectors.leads_visible_to(world.user)
    outcome = pipeline.lead_reject(
        lead=lead, actor=world.user, reason="not_our_product", note="We only do food lines"
    )
    lead.refresh_from_db()
    # the only other owner of this postcode is nobody: the pool takes it
    assert outcome.owner.kind == "queue"
    assert lead.owner_queue_id == Queue.POOL
    assert lead.owner_dealer_id is None
    assert lead.status == S.NEW
    assert lead not in selectors.leads_visible_to(world.user)
    assert lead not in selectors.leads_visible_to(world.admin)
    assert not LeadGroupObjectPermission.objects.filter(
        content_object=lead, group=world.dealer.group
    ).exists()
    rejected = Assignment.objects.get(lead=lead, owner_dealer=world.dealer)
    assert rejected.end_reason == Assignment.EndReason.REJECTED
    assert rejected.first_update_at is not None
    kinds = list(lead.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-2:] == ["rejected", "routed"]
    event = lead.events.get(kind=LeadEvent.Kind.REJECTED)
    assert event.data == {"reason": "not_our_product", "note": "We only do food lines"}
    assert event.from_owner["id"] == world.dealer.pk
    assert event.actor == world.user


def test_a_rejected_lead_goes_to_the_next_dealer_of_a_shared_territory(world):
    territory_with(
        name="NL Shared", ranges=[(3200, 3299)], owners=[(world.dealer, 1), (world.other_dealer, 1)]
    )
    lead = world.lead(postcode="3201 AA")
    first = lead.owner_dealer
    member = world.user if first == world.dealer else world.outsider
    pipeline.lead_reject(lead=lead, actor=member, reason="no_budget")
    lead.refresh_from_db()
    assert lead.owner_dealer is not None and lead.owner_dealer != first


def test_reject_needs_a_reason_from_the_list(world):
    lead = world.lead()
    for reason, note in (("", ""), ("because", ""), ("other", " ")):
        with pytest.raises(ValidationError):
            pipeline.lead_reject(lead=lead, actor=world.user, reason=reason, note=note)
    lead.refresh_from_db()
    assert lead.owner_dealer == world.dealer
    assert not lead.events.filter(kind=LeadEvent.Kind.REJECTED).exists()


def test_only_new_or_accepted_leads_can_be_rejected(world):
    lead = accept(world, world.lead())
    lead = pipeline.lead_set_status(lead=lead, actor=world.user, status=S.CONTACTED)
    with pytest.raises(IllegalTransition, match="Only a new or accepted lead can be rejected"):
        pipeline.lead_reject(lead=lead, actor=world.user, reason="no_budget")
    lead.refresh_from_db()
    assert lead.owner_dealer == world.dealer


def test_an_accepted_lead_can_still_be_rejected(world):
    lead = accept(world, world.lead())
    pipeline.lead_reject(lead=lead, actor=world.user, reason="duplicate")
    lead.refresh_from_db()
    assert lead.owner_dealer_id is None


# --- hand to a colleague -----------------------------------------------------------------


def test_the_admin_hands_a_lead_to_a_colleague_who_alone_may_act(world):
    lead = world.lead()
    pipeline.lead_hand_over_to_colleague(lead=lead, actor=world.admin, colleague=world.colleague)
    lead.refresh_from_db()
    assert lead.dealer_assignee == world.colleague
    assert user_has_lead_perm(world.colleague, lead, ACT)
    assert user_has_lead_perm(world.admin, lead, ACT)
    assert not user_has_lead_perm(fresh(world.user), lead, ACT)
    # the team still sees it
    assert lead in selectors.leads_visible_to(world.user)
    assert LeadUserObjectPermission.objects.filter(
        content_object=lead, user=world.colleague
    ).exists()
    assert not LeadGroupObjectPermission.objects.filter(
        content_object=lead, permission__codename="act_on_lead"
    ).exists()
    assert LeadGroupObjectPermission.objects.filter(
        content_object=lead, permission__codename="view_lead"
    ).exists()
    event = lead.events.get(kind=LeadEvent.Kind.HANDED_OVER)
    assert event.data["to_user_id"] == world.colleague.pk
    assert Notification.objects.filter(recipient=world.colleague, lead=lead).exists()


def test_handing_back_to_the_team_restores_the_groups_right(world):
    lead = world.lead()
    pipeline.lead_hand_over_to_colleague(lead=lead, actor=world.admin, colleague=world.colleague)
    pipeline.lead_hand_over_to_colleague(lead=lead, actor=world.admin, colleague=None)
    lead.refresh_from_db()
    assert lead.dealer_assignee is None
    assert user_has_lead_perm(fresh(world.user), lead, ACT)
    assert not LeadUserObjectPermission.objects.filter(content_object=lead).exists()


def test_only_the_dealer_admin_hands_over_and_only_to_own_colleagues(world):
    lead = world.lead()
    with pytest.raises(IllegalTransition, match="dealer admin"):
        pipeline.lead_hand_over_to_colleague(lead=lead, actor=world.user, colleague=world.colleague)
    with pytest.raises(ValidationError) as error:
        pipeline.lead_hand_over_to_colleague(lead=lead, actor=world.admin, colleague=world.outsider)
    assert "colleague" in error.value.message_dict
    other_admin = DealerMemberFactory(dealer=world.other_dealer, role=Role.DEALER_ADMIN).user
    with pytest.raises(IllegalTransition):
        pipeline.lead_hand_over_to_colleague(lead=lead, actor=other_admin, colleague=other_admin)
    lead.refresh_from_db()
    assert lead.dealer_assignee is None


def test_a_new_owner_clears_the_colleague(world):
    lead = world.lead()
    pipeline.lead_hand_over_to_colleague(lead=lead, actor=world.admin, colleague=world.colleague)
    pipeline.lead_reject(lead=lead, actor=world.colleague, reason="no_budget")
    lead.refresh_from_db()
    assert lead.dealer_assignee is None
    assert not LeadUserObjectPermission.objects.filter(content_object=lead).exists()
    assert lead not in selectors.leads_visible_to(world.colleague)


# --- internal reps ----------------------------------------------------------------------


def test_an_internal_reps_first_contact_stops_the_hot_lead_clock():
    rep = StaffFactory(role=Role.INTERNAL_SALES).user
    territory_with(name="NL direct", ranges=[(1000, 1099)], owners=[(rep, 1)])
    lead = new_lead(postcode="1011 AB")
    assert lead.owner_user == rep
    assert lead.escalation_due_at is not None
    pipeline.lead_log_contact(lead=lead, actor=rep, channel="phone", outcome="reached")
    lead.refresh_from_db()
    assert lead.escalation_due_at is None and lead.first_update_due_at is None
    assert stint(lead).first_update_in_sla is True


def fresh(user):
    """The user without cached permissions (guardian and Django cache them per object)."""
    return type(user).objects.get(pk=user.pk)
