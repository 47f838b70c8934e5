"""A request body whose values are plainly right is read in one pass
(``StrictInputMixin._read_plain``) instead of DRF's field-by-field validation: the result
is exactly DRF's, and anything the pass is not sure of goes to DRF, errors above all."""

from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from dealers.api import ClaimCreateSerializer
from leads.api.account_views import ACCOUNT_EXAMPLE
from leads.api.serializers import (
    AccountItemSerializer,
    AccountSyncSerializer,
    InstalledProductSerializer,
    LeadIntakeSerializer,
    LeadStatusUpdateSerializer,
    QualificationSerializer,
)
from leads.api.views import BATCH_EXAMPLE
from portal.api import JsonObjectField, StrictInputMixin

pytestmark = pytest.mark.django_db

LEAD = {
    "external_id": "crm-1",
    "company_name": "Havenbedrijf Rotterdam B.V.",
    "country": "NL",
    "postcode": "3011 AB",
    "contact_name": "Jan de Vries",
    "contact_email": "jan@havenbedrijf.example",
    "contact_phone": "+31 10 123 4567",
    "interest": "demo",
    "estimated_value": "45000",
    "qualification": {"need": True, "talk_2w": False},
}
# A plainly right body of each serializer with the mixin, which the tests vary.
PLAIN = {
    LeadIntakeSerializer: LEAD,
    QualificationSerializer: {"need": True, "talk_2w": False, "fits_profile": True},
    LeadStatusUpdateSerializer: {"status": "won", "won_value": 45000, "note": "Signed"},
    InstalledProductSerializer: {"product": "CNC 5-axis", "installed_on": "2023-05-12"},
    AccountSyncSerializer: {k: v for k, v in ACCOUNT_EXAMPLE.items() if k != "installed_base"},
    AccountItemSerializer: {**ACCOUNT_EXAMPLE, "external_id": "crm-acc-101"},
    ClaimCreateSerializer: {
        "company_name": "Alpen Maschinenbau GmbH",
        "country": "DE",
        "postcode": "80331",
        "contact_email": "einkauf@alpen.example",
        "expected_value": "120000.50",
        "notes": "Messe München",
    },
}

# Values as JSON brings them, near the edges the fields care about.
EDGES = [
    "", " ", "  x  ", "\t", "\x00", "a\x07b", "\ud800", "\u0085", "x" * 31, "x" * 201,
    "NL", "nl", "DE", "XX", "3011 AB", "3011AB", " 3011 AB", "80331", "demo", "hot",
    "warm", "nl", "de", "manufacturing", "accepted", "won", "other", "45000", "45000.5",
    "1e3", "-1", "2024-03-18", "18-03-2024", "jan@havenbedrijf.example", "jan@", "NL123",
    "NL 0044.95.445.B01", "https://www.vandijk-techniek.nl/", "+31 10 123 4567",
]  # fmt: skip
VALUES = st.recursive(
    st.one_of(
        st.sampled_from(EDGES),
        st.text(max_size=8),
        st.integers(-5, 10**12),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
    ),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from(list(LEAD)), inner, max_size=3),
    max_leaves=4,
)  # fmt: skip


def _drf(serializer_class, data):
    """DRF's own reading, the one pass switched off (nested serializers too)."""
    with mock.patch.object(StrictInputMixin, "_read_plain", lambda self, data: None):
        serializer = serializer_class(data=data)
        return serializer.validated_data if serializer.is_valid() else None


def _bodies(serializer_class):
    """The plain body, a few of its values changed (often to a near miss: spaces
    around, another case, empty, another JSON type) or left out, or a key added."""
    plain = PLAIN[serializer_class]
    names = [*serializer_class().fields, "colour"]

    def near(value):
        text = value if isinstance(value, str) else str(value)
        return st.sampled_from(
            [value, f" {text} ", text.lower(), text.upper(), "", None, text, [value]]
        )

    def changed(name):
        return near(plain[name]) if name in plain else VALUES

    changes = st.lists(
        st.sampled_from(names).flatmap(lambda n: st.tuples(st.just(n), changed(n))), max_size=2
    )
    dropped = st.sets(st.sampled_from(list(plain)), max_size=1)
    return st.tuples(changes, dropped).map(
        lambda cd: {**{k: v for k, v in plain.items() if k not in cd[1]}, **dict(cd[0])}
    )


@pytest.mark.parametrize("serializer_class", list(PLAIN), ids=lambda c: c.__name__)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_body_read_in_one_pass_is_read_exactly_as_drf_reads_it(serializer_class, data):
    body = data.draw(_bodies(serializer_class))
    fast = serializer_class(data=body)._read_plain(body)
    event("read in one pass" if fast is not None else "left to DRF")
    if fast is not None:
        assert fast == _drf(serializer_class, body)


@pytest.mark.parametrize(
    ("serializer_class", "body"),
    [*PLAIN.items(), *((LeadIntakeSerializer, item) for item in BATCH_EXAMPLE["leads"])],
    ids=[*(c.__name__ for c in PLAIN), "batch-example-nl", "batch-example-de"],
)
def test_a_plainly_right_body_is_read_in_one_pass(serializer_class, body):
    value = serializer_class()._read_plain(body)
    assert value is not None and value == _drf(serializer_class, body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"postcode": "ABC"}, "postcode"),
        ({"company_name": " "}, "company_name"),
        ({"company_name": 5}, "company_name"),
        ({"country": "nl"}, "country"),
        ({"qualification": {"need": "yes"}}, "qualification"),
        ({"contact_email": "jan@"}, "contact_email"),
    ],
)
def test_a_body_with_an_error_is_left_to_drf_and_gets_its_message(change, field):
    body = {**LEAD, **change}
    serializer = LeadIntakeSerializer(data=body)
    assert serializer._read_plain(body) is None
    assert not serializer.is_valid() and field in serializer.errors
    with pytest.raises(serializers.ValidationError):
        LeadIntakeSerializer().run_validation(body)


@settings(max_examples=200, deadline=None)
@given(value=VALUES)
def test_a_batch_item_is_taken_as_drfs_dict_field_takes_it(value):
    """A batch's items (``JsonObjectField``) are read as DRF's DictField reads them,
    without running a field for each of their values."""

    def read(field):
        try:
            return field.run_validation(value)
        except serializers.ValidationError as error:
            return error.detail

    assert read(JsonObjectField()) == read(serializers.DictField())
