"""The lookup columns a lead (or anything shaped like one) is matched and recognised by."""

from typing import NamedTuple

from leads.matching.normalize.domains import (
    domain_from_email,
    domain_from_url,
    is_free_mail_domain,
)
from leads.matching.normalize.names import normalize_company_name


class LookupColumns(NamedTuple):
    company_normalized: str
    website_domain: str
    email_domain: str
    contact_email: str


def lookup_columns(company_name: str, website: str, contact_email: str) -> LookupColumns:
    """The normalised copies of a company's identifiers (``Lead.fill_lookup_columns``
    stores them; the CSV import partitions its rows by them before cleaning them all)."""
    website_domain = domain_from_url(website) or ""
    return LookupColumns(
        company_normalized=normalize_company_name(company_name),
        # "gmail.com" (or an address) typed as the website names no company
        website_domain="" if is_free_mail_domain(website_domain) else website_domain,
        email_domain=domain_from_email(contact_email) or "",
        contact_email=(contact_email or "").strip().lower(),
    )
