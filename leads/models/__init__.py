"""Leads, the companies they come from, their owners over time and their history.

One module per kind; every model is imported here, so ``leads.models.Lead`` is the one
way to name it (and the migrations are unchanged):

- ``accounts``: ``Account`` (a company), ``InstalledProduct`` (its installed base);
- ``lead``: ``Lead``, ``CloseReason`` (why it was rejected or lost), its owner fields,
  the ``Queue`` owners, ``Assignment`` (ownership stints) and the object permissions;
- ``events``: ``LeadEvent`` (never updated or deleted), ``DuplicateSubmission``;
- ``integrations``: ``Integration``, ``ApiKey`` (API senders);
- ``imports``: ``ImportJob`` (CSV/XLSX uploads);
- ``policy``: ``Policy`` (the rules staff tune), ``ShareCounter``, ``SweepRun``;
- ``webhooks``: ``WebhookEndpoint``, ``WebhookDelivery`` (outbound events).
"""

from leads.models.accounts import Account, CountryCode, InstalledProduct
from leads.models.events import DuplicateSubmission, LeadEvent
from leads.models.imports import ImportJob
from leads.models.integrations import ApiKey, Integration
from leads.models.lead import (
    QUEUE_NAMES,
    Assignment,
    CloseReason,
    Lead,
    LeadGroupObjectPermission,
    LeadUserObjectPermission,
    OwnerFields,
    Queue,
)
from leads.models.policy import Policy, ShareCounter, SweepRun, default_rule_order
from leads.models.webhooks import PING, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "PING",
    "QUEUE_NAMES",
    "Account",
    "ApiKey",
    "Assignment",
    "CloseReason",
    "CountryCode",
    "DuplicateSubmission",
    "ImportJob",
    "InstalledProduct",
    "Integration",
    "Lead",
    "LeadEvent",
    "LeadGroupObjectPermission",
    "LeadUserObjectPermission",
    "OwnerFields",
    "Policy",
    "Queue",
    "ShareCounter",
    "SweepRun",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "default_rule_order",
]
