"""Staff two-factor authentication: whoever can open the admin or any staff page must
have TOTP (``REQUIRE_STAFF_MFA=1``), whichever way they became staff; dealers need not."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.users.models import Role, User
from tests.factories import DealerMemberFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

TOTP_SETUP = reverse("mfa_activate_totp")


def staff_side_urls() -> list[str]:
    """The admin's index and every staff page that takes no argument: all of /manage/,
    and the reps' own pages outside it."""
    urls = ["/admin/", reverse("leads:mine")]
    manage = next(
        entry
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "manage"
    )
    for pattern in manage.url_patterns:
        if isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters:
            urls.append(reverse(f"manage:{pattern.name}"))
    return urls


def ticked_staff_status() -> User:
    """What ticking "staff status" on a user in the admin gives: no staff profile."""
    return UserFactory(is_staff=True)


def staff_with(role) -> User:
    return StaffFactory(role=role).user


def staff_status_unticked_later() -> User:
    user = StaffFactory(role=Role.INTERNAL_SALES).user
    User.objects.filter(pk=user.pk).update(is_staff=False)
    return User.objects.get(pk=user.pk)


def superuser_without_staff_status() -> User:
    return UserFactory(is_superuser=True, is_staff=False)


def superuser() -> User:
    return User.objects.create_superuser("root@example.com", "x-Secret-1", name="Root")


def dealer(role=Role.DEALER_USER, **ticked) -> User:
    user = DealerMemberFactory(role=role).user
    for field, value in ticked.items():
        setattr(user, field, value)
    user.save()
    return user


# (how someone became what they are, whether they can reach the admin or a staff page)
KINDS = [
    pytest.param(ticked_staff_status, True, id="staff-status-ticked-no-profile"),
    *[
        pytest.param(lambda role=role: staff_with(role), True, id=f"staff-profile-{role.value}")
        for role in Role.staff_roles()
    ],
    pytest.param(staff_status_unticked_later, True, id="staff-profile-staff-status-unticked"),
    pytest.param(superuser_without_staff_status, True, id="superuser-without-staff-status"),
    pytest.param(superuser, True, id="createsuperuser"),
    pytest.param(dealer, False, id="dealer-user"),
    pytest.param(lambda: dealer(Role.DEALER_ADMIN), False, id="dealer-admin"),
    pytest.param(lambda: dealer(is_staff=True), False, id="dealer-with-staff-status-ticked"),
    pytest.param(lambda: dealer(is_superuser=True), False, id="dealer-with-superuser-ticked"),
    pytest.param(UserFactory, False, id="neither-staff-nor-dealer"),
]


def test_staff_status_without_a_staff_profile_must_set_up_totp(client, settings):
    """Regression: ticking "staff status" in the admin opened the admin without TOTP."""
    settings.REQUIRE_STAFF_MFA = True
    client.force_login(ticked_staff_status())
    for url in ("/admin/", "/admin/leads/lead/", reverse("manage:lookup"), reverse("home")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == TOTP_SETUP, url


@pytest.mark.parametrize(("make_user", "staff_side"), KINDS)
def test_everyone_who_reaches_a_staff_page_must_have_totp(client, settings, make_user, staff_side):
    user = make_user()
    client.force_login(user)

    settings.REQUIRE_STAFF_MFA = False
    reached = [url for url in staff_side_urls() if client.get(url).status_code == 200]
    assert bool(reached) is staff_side, reached

    settings.REQUIRE_STAFF_MFA = True
    for url in [reverse("home"), *reached]:
        response = client.get(url)
        if staff_side:
            assert response.status_code == 302, url
            assert response["Location"] == TOTP_SETUP, url
        else:
            assert response.status_code == 200, url

    if staff_side:  # with TOTP set up, the same pages open
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
        for url in [reverse("home"), *reached]:
            assert client.get(url).status_code == 200, url
