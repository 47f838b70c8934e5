"""Logins and roles: invite-only, e-mail + password, MFA for staff, admin for staff."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from portal.users.models import ROLE_GROUP_NAMES, Role
from portal.users.services import user_invite
from tests.factories import PASSWORD, DealerMemberFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group_after_migrate():
    names = set(Group.objects.values_list("name", flat=True))
    assert set(ROLE_GROUP_NAMES.values()) <= names
    channel = Group.objects.get(name="Channel manager")
    assert channel.permissions.filter(codename="act_on_lead").exists()
    assert not Group.objects.get(name="Dealer user").permissions.exists()


def test_role_groups_follow_the_profile():
    profile = StaffFactory(role=Role.SALES_MANAGER)
    assert list(profile.user.groups.values_list("name", flat=True)) == ["Sales manager"]
    profile.role = Role.CHANNEL_MANAGER
    profile.save()
    assert list(profile.user.groups.values_list("name", flat=True)) == ["Channel manager"]
    assert profile.user.is_staff


def test_dealer_member_joins_role_and_dealer_groups():
    member = DealerMemberFactory(role=Role.DEALER_ADMIN)
    names = set(member.user.groups.values_list("name", flat=True))
    assert names == {"Dealer admin", f"dealer:{member.dealer.slug}"}
    assert not member.user.is_staff


def test_login_and_logout(client):
    user = UserFactory(email="eva@example.com")
    response = client.post(
        reverse("account_login"), {"login": "EVA@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).wsgi_request.user == user
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not client.get(reverse("account_login")).wsgi_request.user.is_authenticated


def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(email="eva@example.com")
    response = client.post(
        reverse("account_login"), {"login": "eva@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert b"not correct" in response.content or b"incorrect" in response.content.lower()


def test_login_attempts_are_rate_limited(client):
    UserFactory(email="eva@example.com")
    for attempt in range(5):
        client.post(
            reverse("account_login"), {"login": "eva@example.com", "password": f"x{attempt}"}
        )
    # Even the right password is refused while the limit holds.
    response = client.post(
        reverse("account_login"), {"login": "eva@example.com", "password": PASSWORD}
    )
    assert b"Too many failed login attempts" in response.content
    assert not response.wsgi_request.user.is_authenticated


def test_signup_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert b"invitation" in response.content.lower()
    response = client.post(
        reverse("account_signup"), {"email": "intruder@example.com", "password1": "S3cure!pass"}
    )
    from portal.users.models import User

    assert not User.objects.filter(email="intruder@example.com").exists()


def test_invitation_mails_a_link_that_sets_the_password(client, django_capture_on_commit_callbacks):
    inviter = StaffFactory(role=Role.CHANNEL_MANAGER).user
    with django_capture_on_commit_callbacks(execute=True):
        user = user_invite(email="new@dealer.example", name="New Person", invited_by=inviter)
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/accounts/password/reset/key/" in line)
    path = link.split("127.0.0.1:8000", 1)[1].strip()
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_url, {"password1": "a-Good-passw0rd!", "password2": "a-Good-passw0rd!"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-Good-passw0rd!")


def test_password_reset_sends_an_email(client):
    UserFactory(email="eva@example.com")
    response = client.post(reverse("account_reset_password"), {"email": "eva@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "eva@example.com" in mail.outbox[0].to


def test_dealer_user_never_reaches_admin(client):
    member = DealerMemberFactory()
    member.user.is_staff = True  # even if someone ticked it by mistake
    member.user.save()
    client.force_login(member.user)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/leads/lead/").status_code == 403


def test_staff_reaches_admin_and_anonymous_is_sent_to_the_portal_login(client):
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/")["Location"].startswith(reverse("account_login"))
    staff = StaffFactory(role=Role.CHANNEL_MANAGER).user
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/leads/lead/").status_code == 200


def test_mfa_is_demanded_of_staff_without_it(client, settings):
    settings.REQUIRE_STAFF_MFA = True
    staff = StaffFactory(role=Role.CHANNEL_MANAGER).user
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_mfa_is_offered_but_not_demanded_of_dealers(client, settings):
    settings.REQUIRE_STAFF_MFA = True
    member = DealerMemberFactory()
    client.force_login(member.user)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200


def test_staff_with_totp_passes(client, settings):
    from allauth.mfa.models import Authenticator

    settings.REQUIRE_STAFF_MFA = True
    staff = StaffFactory(role=Role.CHANNEL_MANAGER).user
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(staff)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("language", ["nl", "de"])
def test_language_switch_is_remembered_for_the_user(client, language):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    user.refresh_from_db()
    assert user.language == language
    response = client.get(reverse("home"))
    assert response.headers["Content-Language"] == language


def test_pages_send_a_strict_content_security_policy(client):
    response = client.get(reverse("account_login"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
