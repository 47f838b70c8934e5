"""factory-boy factories for rows that have no service of their own. Leads and claims
are made with the real services in tests that exercise them."""

import factory
from django.utils.text import slugify

from dealers.models import Dealer, DealerMembership
from leads.models import Account, InstalledProduct
from portal.users.models import Role, StaffProfile, User
from territories.models import PostcodeRange, Territory, TerritoryOwner

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    """An internal user with a staff profile (``user`` is the person)."""

    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    role = Role.INTERNAL_SALES


class DealerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dealer

    name = factory.Sequence(lambda n: f"Dealer {n} B.V.")
    slug = factory.LazyAttribute(lambda d: slugify(d.name))
    countries = ["NL"]
    contact_email = factory.LazyAttribute(lambda d: f"info@{d.slug}.example")


class DealerMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealerMembership

    user = factory.SubFactory(UserFactory)
    dealer = factory.SubFactory(DealerFactory)
    role = Role.DEALER_USER


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    legal_name = factory.Sequence(lambda n: f"Company {n} B.V.")
    country = "NL"
    postcode = "3011 AB"
    postcode_number = 3011
    city = "Rotterdam"


class InstalledProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstalledProduct

    account = factory.SubFactory(AccountFactory)
    product = "Machine A"
    serial_number = factory.Sequence(lambda n: f"SN-{n:06d}")
    installed_on = factory.Faker("date_between", start_date="-5y", end_date="-30d")


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory

    name = factory.Sequence(lambda n: f"Territory {n}")
    country = "NL"


def territory_with(*, name, country="NL", ranges=(), owners=(), sectors=()) -> Territory:
    """A territory with postcode ranges and (owner, weight) pairs; owners are dealers or users."""
    territory = Territory.objects.create(name=name, country=country, sectors=list(sectors))
    for start, end in ranges:
        PostcodeRange.objects.create(territory=territory, start=start, end=end)
    for owner, weight in owners:
        if isinstance(owner, Dealer):
            TerritoryOwner.objects.create(territory=territory, dealer=owner, weight=weight)
        else:
            TerritoryOwner.objects.create(territory=territory, user=owner, weight=weight)
    return territory
