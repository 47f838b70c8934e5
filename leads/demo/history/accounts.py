"""Demo accounts: customers with installed base, some with a parent company."""

import random
from collections import defaultdict
from datetime import timedelta

from django.db import transaction

from dealers.models import Dealer
from leads.demo import companies
from leads.matching.normalize import normalize_company_name
from leads.models import (
    Account,
    InstalledProduct,
)

# --- accounts and claims ----------------------------------------------------------


@transaction.atomic
def build_accounts(*, count: int, staff: dict, dealers: dict, now) -> int:
    """About ``count`` accounts: a third customers with installed base, some with a parent."""
    existing = Account.objects.filter(website_domain__endswith=".demo").count()
    if existing >= count:
        return 0
    rng = random.Random(f"accounts-{existing}")
    managers = dict.fromkeys(("NL", "BE", "LU"), staff["eva.visser"]) | dict.fromkeys(
        ("DE", "AT", "CH"), staff["thomas.becker"]
    )
    by_country = defaultdict(list)
    for dealer in dealers.values():
        if dealer.status == Dealer.Status.ACTIVE:
            by_country[dealer.countries[0].code].append(dealer)
    created = []
    used_names = set(Account.objects.values_list("normalized_name", flat=True))
    for index in range(existing, count):
        country = companies.pick_country(rng)
        name, sector = companies.company_name(rng, country)
        while normalize_company_name(name) in used_names:
            name, sector = companies.company_name(rng, country)
            name = f"{name.rsplit(' ', 1)[0]} {rng.choice(['Nord', 'Zuid', 'Süd', 'West', 'Oost', 'Ost', 'Centrum', 'International'])} {name.rsplit(' ', 1)[1]}"
        used_names.add(normalize_company_name(name))
        code, number, city = companies.postcode(rng, country)
        customer = rng.random() < 0.34
        account = Account(
            legal_name=name,
            normalized_name=normalize_company_name(name),
            website_domain=companies.domain(name, country).rsplit(".", 1)[0] + f"-{index}.demo",
            vat_number=companies.vat_number(rng, country) if rng.random() < 0.7 else "",
            country=country,
            postcode=code,
            postcode_number=number,
            city=city,
            sector=sector if sector != "other" else rng.choice(["machinery", "food", "logistics"]),
            account_manager=managers[country] if customer else None,
            serving_dealer=(
                rng.choice(by_country[country])
                if customer and by_country[country] and rng.random() < 0.5
                else None
            ),
            created_at=now - timedelta(days=rng.randint(200, 2000)),
        )
        account._customer = customer
        created.append(account)
    Account.objects.bulk_create(created, batch_size=1000)
    products = []
    for account in created:
        if account._customer:
            for _ in range(rng.choice([1, 1, 2, 3])):
                products.append(
                    InstalledProduct(
                        account=account,
                        product=rng.choice(companies.PRODUCTS),
                        serial_number=f"SN-{rng.randint(100000, 999999)}",
                        installed_on=(now - timedelta(days=rng.randint(60, 3000))).date(),
                    )
                )
    InstalledProduct.objects.bulk_create(products, batch_size=2000)
    # About 5% are subsidiaries of a group company in the same country.
    parents = [a for a in created if a._customer]
    subsidiaries = []
    for account in rng.sample(created, k=len(created) // 20):
        options = [p for p in parents if p.country == account.country and p.pk != account.pk]
        if options:
            account.parent = rng.choice(options)
            subsidiaries.append(account)
    Account.objects.bulk_update(subsidiaries, ["parent"], batch_size=1000)
    return len(created)
