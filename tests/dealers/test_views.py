"""The dealer's pages: claims, live conflict check, scorecard, team. Each view gets the
owner / colleague / other dealer matrix, the wrong method, and list pages a constant
number of queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from dealers import services
from dealers.models import Claim, DealerMembership
from leads.models import Lead
from leads.services import pipeline
from leads.services.cleaning import clean_lead_fields
from leads.services.intake import lead_intake
from portal.users.models import User
from tests.dealers.conftest import company
from tests.factories import (
    AccountFactory,
    DealerMemberFactory,
    InstalledProductFactory,
    territory_with,
)

pytestmark = pytest.mark.django_db


def claim_of(side, name="Havenbedrijf Techniek B.V.", **fields) -> Claim:
    return services.claim_submit(
        dealer=side.dealer, submitted_by=side.admin, data=company(name, **fields)
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def without_tokens(html: bytes) -> bytes:
    return re.sub(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', rb"\1", html)


# --- claims list and registration -------------------------------------------------


def test_the_claims_page_lists_only_the_dealers_own_claims(client, world):
    mine = claim_of(world.mine, "Mine B.V.")
    theirs = claim_of(world.theirs, "Theirs B.V.")

    response = signed_in(client, world.mine.user).get(reverse("dealers:claims"))

    assert response.status_code == 200
    assert list(response.context["page"]) == [mine]
    assert b"Mine B.V." in response.content
    assert b"Theirs B.V." not in response.content
    assert world.theirs.dealer.name.encode() not in response.content
    assert response.context["counts"] == {"active": 1, "pending": 0, "ended": 0, "expiring": 0}
    assert Claim.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("show", ["active", "pending", "ended"])
def test_the_claims_page_keeps_a_constant_number_of_queries(client, world, show):
    InstalledProductFactory(account=AccountFactory(legal_name="Customer 0 B.V."))
    claim_of(world.mine, "Customer 0 B.V.")
    claim_of(world.mine, "Active 0 B.V.")
    services.claim_withdraw(claim=claim_of(world.mine, "Ended 0 B.V."), actor=world.mine.admin)
    client = signed_in(client, world.mine.user)
    url = reverse("dealers:claims") + f"?show={show}"
    client.get(url)  # caches (policy, permissions) are warm from here on
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(1, 6):
        InstalledProductFactory(account=AccountFactory(legal_name=f"Customer {n} B.V."))
        claim_of(world.mine, f"Customer {n} B.V.")
        claim_of(world.mine, f"Active {n} B.V.")
        services.claim_withdraw(
            claim=claim_of(world.mine, f"Ended {n} B.V."), actor=world.mine.admin
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"]) == 6
    assert len(many) == len(few)


def test_registering_a_claim_approves_it_and_opens_it(client, world):
    response = signed_in(client, world.mine.user).post(
        reverse("dealers:claims"),
        company(
            contact_name="Jan de Vries",
            contact_email="jan@haven.example",
            expected_value="45000",
            notes="Met at the fair",
        ),
    )

    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dealers:claim", args=[claim.pk])
    assert claim.status == Claim.Status.APPROVED
    assert claim.dealer == world.mine.dealer
    assert claim.submitted_by == world.mine.user
    assert claim.expected_value == 45000


def test_a_conflicting_claim_goes_to_review_and_says_why_without_names(client, world):
    claim_of(world.theirs)
    client = signed_in(client, world.mine.user)

    response = client.post(reverse("dealers:claims"), company(), follow=True)

    claim = Claim.objects.get(dealer=world.mine.dealer)
    assert claim.status == Claim.Status.PENDING
    assert b"goes to your channel manager for review" in response.content
    assert b"already has an active claim by another dealer" in response.content
    assert world.theirs.dealer.name.encode() not in response.content


def test_bad_input_shows_the_form_again_with_messages(client, world):
    response = signed_in(client, world.mine.user).post(
        reverse("dealers:claims"),
        {"company_name": "", "country": "NL", "vat_number": "NL123", "postcode": "0000"},
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"company_name", "vat_number", "postcode"}
    assert not Claim.objects.exists()


def test_a_second_claim_on_the_same_company_is_a_form_error(client, world):
    claim_of(world.mine)
    response = signed_in(client, world.mine.user).post(reverse("dealers:claims"), company())
    assert response.status_code == 200
    assert "already have a claim" in " ".join(response.context["form"].non_field_errors())
    assert Claim.objects.count() == 1


@pytest.mark.parametrize("who", ["channel_manager", "internal_sales"])
def test_staff_have_no_dealer_claims_page(client, world, who):
    client = signed_in(client, getattr(world, who))
    assert client.get(reverse("dealers:claims")).status_code == 403
    assert client.post(reverse("dealers:claim_check"), company()).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(reverse("dealers:claims"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_claims_page_refuses_other_methods(client, world):
    assert signed_in(client, world.mine.user).put(reverse("dealers:claims")).status_code == 405


# --- the live check -----------------------------------------------------------------


def test_the_live_check_warns_without_revealing_the_other_dealer(client, world):
    theirs = claim_of(world.theirs, vat_number="NL004495445B01")
    client = signed_in(client, world.mine.user)

    response = client.post(
        reverse("dealers:claim_check"),
        {"company_name": "Something Else", "country": "NL", "vat_number": "NL 0044 95445 B01"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "dealers/_claim_check.html" in [t.name for t in response.templates]
    assert b'data-check="conflict"' in response.content
    assert b"already has an active claim by another dealer" in response.content
    assert world.theirs.dealer.name.encode() not in response.content
    assert reverse("dealers:claim", args=[theirs.pk]).encode() not in response.content


def test_the_live_check_says_when_the_company_is_clean_or_already_mine(client, world):
    client = signed_in(client, world.mine.user)
    url = reverse("dealers:claim_check")

    clean = client.post(url, company())
    assert b'data-check="clean"' in clean.content
    assert b"approved at once" in clean.content

    mine = claim_of(world.mine)
    own = client.post(url, company())
    assert b'data-check="own"' in own.content
    assert reverse("dealers:claim", args=[mine.pk]).encode() in own.content

    too_short = client.post(url, {"company_name": "Ha", "country": "NL"})
    assert b"data-check" not in too_short.content


def test_the_live_check_is_post_only(client, world):
    assert signed_in(client, world.mine.user).get(reverse("dealers:claim_check")).status_code == 405


# --- claim detail, renew, withdraw: owner / colleague / other dealer -----------------


def test_claim_detail_for_owner_colleague_and_other_dealer(client, world):
    claim = claim_of(world.mine)
    url = reverse("dealers:claim", args=[claim.pk])

    for person in (world.mine.admin, world.mine.user):
        response = signed_in(client, person).get(url)
        assert response.status_code == 200
        assert b"Havenbedrijf Techniek" in response.content

    theirs_url, missing_url = url, reverse("dealers:claim", args=[10**9])
    client = signed_in(client, world.theirs.user)
    theirs, missing = client.get(theirs_url), client.get(missing_url)
    assert theirs.status_code == missing.status_code == 404
    assert without_tokens(theirs.content).replace(theirs_url.encode(), b"URL") == without_tokens(
        missing.content
    ).replace(missing_url.encode(), b"URL")
    assert client.post(url).status_code == 405


def test_renewing_works_for_a_colleague_once(client, world):
    claim = claim_of(world.mine)
    url = reverse("dealers:claim_renew", args=[claim.pk])
    client = signed_in(client, world.mine.user)

    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dealers:claim", args=[claim.pk])
    assert b"Renewed" in response.content
    claim.refresh_from_db()
    assert claim.renewals == 1

    again = client.post(url, follow=True)
    assert b"already been renewed" in again.content
    assert Claim.objects.get(pk=claim.pk).renewals == 1


@pytest.mark.parametrize("action", ["dealers:claim_renew", "dealers:claim_withdraw"])
def test_claim_actions_matrix(client, world, action):
    claim = claim_of(world.mine)
    url = reverse(action, args=[claim.pk])

    assert signed_in(client, world.theirs.admin).post(url).status_code == 404
    # Internal sales may look at claims (model-wide view) but not change them.
    client = signed_in(client, world.internal_sales)
    page = client.get(reverse("dealers:claim", args=[claim.pk]))
    assert page.status_code == 200
    assert url.encode() not in page.content  # no button it may not use
    assert client.post(url).status_code == 403
    client = signed_in(client, world.mine.user)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    claim.refresh_from_db()
    assert (claim.renewals, claim.status) in {(1, "approved"), (0, "withdrawn")}


def test_a_dealer_without_the_object_permission_gets_403(client, world):
    claim = claim_of(world.mine)
    claim.claimgroupobjectpermission_set.all().delete()
    client = signed_in(client, world.mine.user)
    assert client.get(reverse("dealers:claim", args=[claim.pk])).status_code == 200
    assert client.post(reverse("dealers:claim_withdraw", args=[claim.pk])).status_code == 403
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.APPROVED


def test_withdrawing_with_a_reason(client, world):
    claim = claim_of(world.mine)
    response = signed_in(client, world.mine.admin).post(
        reverse("dealers:claim_withdraw", args=[claim.pk]), {"reason": "No project"}, follow=True
    )
    assert b"withdrawn" in response.content
    claim.refresh_from_db()
    assert (claim.status, claim.decision_reason) == ("withdrawn", "No project")


# --- scorecard ----------------------------------------------------------------------


def test_the_scorecard_shows_the_dealers_own_figures_and_trend(client, world):
    territory_with(
        name="Rijnmond",
        ranges=[(3000, 3299)],
        owners=[(world.mine.dealer, 1), (world.theirs.dealer, 1)],
    )
    for n in range(4):
        lead_intake(
            data=clean_lead_fields(
                {
                    "company_name": f"Prospect {n} B.V.",
                    "country": "NL",
                    "postcode": "3011",
                    "contact_email": f"info@prospect{n}.example",
                }
            ),
            source="api",
        )
    mine = Lead.objects.filter(owner_dealer=world.mine.dealer).first()
    pipeline.lead_accept(
        lead=mine,
        actor=world.mine.user,
        next_step="Call",
        next_step_on=timezone.localdate() + timedelta(days=1),
    )

    response = signed_in(client, world.mine.user).get(reverse("dealers:scorecard"))

    assert response.status_code == 200
    card = response.context["card"]
    assert card.dealer_id == world.mine.dealer.pk
    assert card.received == 2  # the territory splits evenly
    assert len(response.context["chart"]["labels"]) == 6
    assert response.context["chart"]["received"][-1] == 2
    assert b'id="trend-data"' in response.content
    assert b"js/scorecard.js" in response.content
    assert b"<script>" not in response.content  # no inline scripts (CSP)
    assert world.theirs.dealer.name.encode() not in response.content
    assert response.context["computed_weight"] == 1  # fewer than 10 settled stints


def test_the_scorecard_costs_the_same_queries_with_more_history(client, world):
    client = signed_in(client, world.mine.user)
    client.get(reverse("dealers:scorecard"))
    with CaptureQueriesContext(connection) as empty:
        client.get(reverse("dealers:scorecard"))
    territory_with(name="Rijnmond", ranges=[(3000, 3299)], owners=[(world.mine.dealer, 1)])
    for n in range(5):
        lead_intake(
            data=clean_lead_fields(
                {
                    "company_name": f"Prospect {n} B.V.",
                    "country": "NL",
                    "postcode": "3011",
                    "contact_email": f"info@prospect{n}.example",
                }
            ),
            source="api",
        )
    claim_of(world.mine)
    with CaptureQueriesContext(connection) as full:
        response = client.get(reverse("dealers:scorecard"))
    assert response.context["card"].received == 5
    assert len(full) == len(empty)


@pytest.mark.parametrize("who", ["channel_manager", "internal_sales"])
def test_the_scorecard_page_is_for_dealers(client, world, who):
    assert (
        signed_in(client, getattr(world, who)).get(reverse("dealers:scorecard")).status_code == 403
    )


def test_the_scorecard_is_read_only(client, world):
    assert signed_in(client, world.mine.user).post(reverse("dealers:scorecard")).status_code == 405


# --- team ---------------------------------------------------------------------------


def test_the_team_page_is_for_the_dealer_admin(client, world):
    response = signed_in(client, world.mine.admin).get(reverse("dealers:team"))
    assert response.status_code == 200
    names = [m.user.name for m in response.context["members"]]
    assert sorted(names) == sorted([world.mine.admin.name, world.mine.user.name])
    assert world.theirs.admin.name.encode() not in response.content

    assert signed_in(client, world.mine.user).get(reverse("dealers:team")).status_code == 403
    assert signed_in(client, world.channel_manager).get(reverse("dealers:team")).status_code == 403
    assert signed_in(client, world.mine.admin).delete(reverse("dealers:team")).status_code == 405


def test_the_team_page_keeps_a_constant_number_of_queries(client, world):
    client = signed_in(client, world.mine.admin)
    client.get(reverse("dealers:team"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dealers:team"))
    for _n in range(4):
        DealerMemberFactory(dealer=world.mine.dealer)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("dealers:team"))
    assert len(response.context["members"]) == 6
    assert len(many) == len(few)


def test_an_admin_invites_a_colleague(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, world.mine.admin).post(
            reverse("dealers:team"),
            {
                "name": "Nieuwe Collega",
                "email": "nieuw@rijnmond.example",
                "role": "dealer_user",
                "language": "nl",
            },
        )
    assert response.status_code == 302
    membership = DealerMembership.objects.get(user__email="nieuw@rijnmond.example")
    assert membership.dealer == world.mine.dealer
    assert membership.user.language == "nl"

    again = client.post(
        reverse("dealers:team"),
        {"name": "X", "email": "nieuw@rijnmond.example", "role": "dealer_user", "language": "nl"},
    )
    assert again.status_code == 200
    assert "email" in again.context["form"].errors


def test_a_dealer_user_cannot_invite(client, world):
    response = signed_in(client, world.mine.user).post(
        reverse("dealers:team"),
        {"name": "X", "email": "x@example.com", "role": "dealer_admin", "language": "en"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()


def test_deactivate_matrix(client, world):
    colleague = world.mine.user.dealer_membership
    url = reverse("dealers:member_deactivate", args=[colleague.pk])

    assert signed_in(client, world.theirs.admin).post(url).status_code == 404
    assert signed_in(client, world.mine.user).post(url).status_code == 403
    assert User.objects.get(pk=world.mine.user.pk).is_active
    client = signed_in(client, world.mine.admin)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert b"can no longer sign in" in response.content
    assert not User.objects.get(pk=world.mine.user.pk).is_active

    reactivate = reverse("dealers:member_reactivate", args=[colleague.pk])
    assert signed_in(client, world.theirs.admin).post(reactivate).status_code == 404
    assert signed_in(client, world.mine.admin).post(reactivate).status_code == 302
    assert User.objects.get(pk=world.mine.user.pk).is_active


def test_an_admin_cannot_deactivate_themselves(client, world):
    own = world.mine.admin.dealer_membership
    response = signed_in(client, world.mine.admin).post(
        reverse("dealers:member_deactivate", args=[own.pk]), follow=True
    )
    assert b"cannot deactivate your own account" in response.content
    assert User.objects.get(pk=world.mine.admin.pk).is_active


# --- every dealer URL, walked by another dealer's admin ------------------------------


def dealer_patterns():
    resolver = get_resolver().url_patterns
    [dealers] = [p for p in resolver if isinstance(p, URLResolver) and p.namespace == "dealers"]
    return [p for p in dealers.url_patterns if isinstance(p, URLPattern)]


def test_another_dealer_reaches_nothing_of_mine(client, world):
    claim = claim_of(world.mine, notes="Secret plans")
    colleague = world.mine.user.dealer_membership
    client = signed_in(client, world.theirs.admin)
    walked = 0
    for pattern in dealer_patterns():
        name = f"dealers:{pattern.name}"
        if "pk" in pattern.pattern.converters:
            pk = colleague.pk if "member" in pattern.name else claim.pk
            url = reverse(name, args=[pk])
            expected = {404, 405}
        else:
            url = reverse(name)
            expected = {200, 302, 405}
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in expected, (name, method, response.status_code)
            assert b"Secret plans" not in response.content
            assert b"Havenbedrijf" not in response.content
            walked += 1
    assert walked >= 16
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert User.objects.get(pk=world.mine.user.pk).is_active
