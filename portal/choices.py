"""Vocabularies shared by dealers, territories, leads and staff profiles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    """The industries our customers work in; routing matches on these codes."""

    AGRICULTURE = "agriculture", _("Agriculture")
    AUTOMOTIVE = "automotive", _("Automotive")
    CONSTRUCTION = "construction", _("Construction")
    ENERGY = "energy", _("Energy")
    FOOD = "food", _("Food & beverage")
    FURNITURE = "furniture", _("Furniture")
    LOGISTICS = "logistics", _("Logistics")
    MACHINERY = "machinery", _("Machinery")
    METALWORKING = "metalworking", _("Metalworking")
    PACKAGING = "packaging", _("Packaging & printing")
    PHARMA = "pharma", _("Pharma & chemicals")
    PLASTICS = "plastics", _("Plastics")
    RETAIL = "retail", _("Retail")
    OTHER = "other", _("Other")


class Language(models.TextChoices):
    """Languages the portal, its e-mails and the inquiry form speak."""

    EN = "en", _("English")
    NL = "nl", _("Dutch")
    DE = "de", _("German")


# The routing rules by the code the engine writes on a lead (``leads.routing.Rule``)
# and "manual" for a hand-over by a manager, as people read them.
RULE_LABELS = {
    "nurture": _("Nurture"),
    "installed_base": _("Installed base"),
    "claim": _("Dealer claim"),
    "open_work": _("Open work"),
    "deal_size": _("Deal size"),
    "sector": _("Sector"),
    "territory": _("Territory"),
    "fallback": _("Fallback"),
    "manual": _("Assigned by hand"),
}


# The markets the portal routes by postcode; other countries route by country only.
ROUTED_COUNTRIES = ("NL", "BE", "DE", "AT", "CH", "LU")
