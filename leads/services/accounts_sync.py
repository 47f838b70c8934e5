"""Accounts and installed base from the manufacturer's CRM or ERP (``PUT
/api/v1/accounts/{external_id}/``, ``POST /api/v1/accounts/batch/``).

An upsert by the CRM's id (``Account.external_id``): the fields sent replace the
account's (a field left out is emptied), the installed base is replaced when it is
sent and kept when it is not. The parent, the account manager and the serving dealer
are named as the CRM knows them: the parent by its external id (in the same batch or
synced before), the account manager by e-mail (an active internal person), the serving
dealer by its external id (``Dealer.external_id``).

Every item is checked before anything is written, so an item with a problem (an
unknown parent, manager or dealer, a VAT number that is not valid for the country, a
parent chain that loops) is answered with its field errors and the others go in. A
batch is one transaction: new accounts with one INSERT, changed ones with one UPDATE,
parents set once every account of the batch has its id.

Changing an account re-points nothing already owned: leads and claims keep their
owners. The next lead of the company routes by the new facts (matching reads the
accounts from the database on every lead).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from dealers.models import Dealer
from leads.matching.normalize import InvalidPostcode, normalize_postcode
from leads.models import Account, InstalledProduct
from portal.db import insert_many
from portal.users.models import User

BATCH_MAX = 1000
FIELDS = (
    "legal_name",
    "website_domain",
    "vat_number",
    "coc_number",
    "country",
    "postcode",
    "city",
    "sector",
)
MAX_PARENT_DEPTH = 10
UPDATED = [
    *FIELDS,
    "normalized_name",
    "postcode_number",
    "parent",
    "account_manager",
    "serving_dealer",
]


@dataclass
class SyncResult:
    status: int  # 201 created, 200 updated, 400 refused
    account: Account | None = None
    errors: dict = field(default_factory=dict)


def accounts_upsert(items: list[dict], *, now: datetime | None = None) -> list[SyncResult]:
    """Create or update one account per item (cleaned API data with ``external_id``),
    in order; items with errors write nothing."""
    now = now or timezone.now()
    ids = [item["external_id"] for item in items]
    # ``.exclude(external_id="")`` states the partial unique indexes' condition: from a
    # list of over 100 ids PostgreSQL cannot prove it and would read every account.
    existing = {
        a.external_id: a
        for a in Account.objects.filter(external_id__in=ids).exclude(external_id="")
    }
    emails = {item["account_manager"].lower() for item in items if item.get("account_manager")}
    managers = {
        user.email.lower(): user
        for user in User.objects.filter(
            email__in=emails, is_active=True, staffprofile__isnull=False
        )
    }
    dealer_ids = {item["serving_dealer"] for item in items if item.get("serving_dealer")}
    dealers = {
        d.external_id: d
        for d in Dealer.objects.filter(external_id__in=dealer_ids).exclude(external_id="")
    }
    parent_ids = {item["parent"] for item in items if item.get("parent")}
    known_parents = dict(
        Account.objects.filter(external_id__in=parent_ids)
        .exclude(external_id="")
        .values_list("external_id", "parent__external_id")
    )
    results: list[SyncResult] = []
    accounts: list[Account | None] = []
    seen: set[str] = set()
    for item in items:
        errors: dict[str, list[str]] = {}
        if item["external_id"] in seen:
            errors["external_id"] = [_("This id is in the batch twice.")]
        seen.add(item["external_id"])
        account = existing.get(item["external_id"]) or Account(
            external_id=item["external_id"], created_at=now
        )
        for name in FIELDS:
            setattr(account, name, item.get(name) or "")
        account.postcode_number = None
        if account.postcode:
            try:
                account.postcode, account.postcode_number = normalize_postcode(
                    account.country_code, account.postcode
                )
            except InvalidPostcode as error:
                errors["postcode"] = [error.text(gettext)]
        email = (item.get("account_manager") or "").lower()
        account.account_manager = managers.get(email) if email else None
        if email and account.account_manager is None:
            errors["account_manager"] = [_("Nobody at the manufacturer has this e-mail address.")]
        dealer = item.get("serving_dealer") or ""
        account.serving_dealer = dealers.get(dealer) if dealer else None
        if dealer and account.serving_dealer is None:
            errors["serving_dealer"] = [_("No dealer has this id.")]
        try:
            account.clean()
        except ValidationError as error:
            errors.update(error.message_dict)
        results.append(SyncResult(400 if errors else 200, errors=errors))
        accounts.append(account)
    _check_parents(items, results, known_parents)
    with transaction.atomic():
        _write(items, results, accounts, existing)
    return results


def _check_parents(items: list[dict], results: list[SyncResult], known: dict) -> None:
    """An item's parent must be a valid item of the batch or an account synced before,
    and following the parents must not come back to the item."""
    in_batch = {
        item["external_id"]: item.get("parent") or None
        for item, result in zip(items, results, strict=True)
        if result.status != 400
    }
    for item, result in zip(items, results, strict=True):
        parent = item.get("parent")
        if not parent:
            continue
        if parent not in in_batch and parent not in known:
            result.status = 400
            result.errors["parent"] = [_("No account has this id; sync the parent first.")]
            continue
        step, chain = parent, {item["external_id"]}
        for _depth in range(MAX_PARENT_DEPTH):
            if step is None:
                break
            if step in chain:
                result.status = 400
                result.errors["parent"] = [_("The parents of this account lead back to it.")]
                break
            chain.add(step)
            step = in_batch[step] if step in in_batch else known.get(step)


def _write(items, results, accounts, existing) -> None:
    valid = [
        (item, result, account)
        for item, result, account in zip(items, results, accounts, strict=True)
        if result.status != 400
    ]
    for _item, _result, account in valid:
        account.fill_lookup_columns()
    # New accounts in one INSERT; a parent is set once every account has its id.
    insert_many(
        Account, [account for _i, _r, account in valid if account.pk is None], with_ids=True
    )
    named = [item["parent"] for item, _r, _a in valid if item.get("parent")]
    parents = dict(
        Account.objects.filter(external_id__in=named)
        .exclude(external_id="")
        .values_list("external_id", "pk")
    )
    for item, result, account in valid:
        parent_id = parents.get(item.get("parent")) if item.get("parent") else None
        if account.external_id in existing:
            result.status = 200
            account.parent_id = parent_id
            account.save(update_fields=UPDATED)  # one UPDATE: cheaper than bulk_update's CASEs
        else:
            result.status = 201
            if parent_id is not None:
                account.parent_id = parent_id
                Account.objects.filter(pk=account.pk).update(parent_id=parent_id)
        result.account = account
    replaced = [account for item, _result, account in valid if "installed_base" in item]
    if replaced:
        InstalledProduct.objects.filter(account__in=replaced).delete()
        insert_many(
            InstalledProduct,
            [
                InstalledProduct(account=account, **product)
                for item, _result, account in valid
                if "installed_base" in item
                for product in item["installed_base"]
            ],
        )
