"""What the schema says a body may hold is what the API takes: country, postcode syntax,
contact, amounts, JSON types, unknown keys (the check digits of VAT and register
numbers aside, which no schema can state)."""

import re

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealers.api import ClaimCreateSerializer
from leads.api.fields import postcode_errors
from leads.api.serializers import LeadIntakeSerializer
from leads.matching.normalize import POSTCODE_DIGITS, normalize_postcode, postcode_pattern

COUNTRIES = ["NL", "DE", "BE", "AT", "CH", "LU", "FR", "GB", "nl", "XX", "", 31]


def _json_schema(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture(scope="module")
def validator():
    components = _json_schema(SchemaGenerator().get_schema(public=True)["components"])

    def for_component(name):
        return jsonschema.Draft7Validator(
            {"$ref": f"#/components/schemas/{name}", "components": components},
            format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
        )

    return for_component


syntax = st.sampled_from([*POSTCODE_DIGITS, "FR"]).flatmap(
    lambda country: st.from_regex(postcode_pattern(country), fullmatch=True)
)
postcodes = st.one_of(
    syntax,
    st.tuples(st.sampled_from(["\t", "\n", "\u00a0", "  "]), syntax).map("".join),
    st.text(max_size=14),
    st.sampled_from(
        [
            "3011 AB",
            " 3011ab ",
            "3011  AB",
            "D-01067",
            "0000",
            "3011 SA",
            "３０１１",
            "\t3011",
            "3011\n",
        ]
    ),
)
amounts = st.one_of(
    st.none(),
    st.integers(min_value=-5, max_value=10**11),
    st.floats(allow_nan=False, allow_infinity=False),
    st.from_regex(r"[0-9]{1,11}(\.[0-9]{0,3})?", fullmatch=True),
    st.sampled_from(["", " ", "5e3", "-1", "1,5", True]),
)
texts = st.one_of(st.text(max_size=3), st.sampled_from(["  ", 5, None]))


def mostly(valid, other):
    """Usually ``valid`` (so that most bodies are accepted unless one field is off)."""
    return st.one_of(st.just(valid), st.just(valid), st.just(valid), other)


def body(required, optional):
    return st.fixed_dictionaries(required, optional=optional)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body(
        {
            "company_name": mostly("Acme B.V.", texts),
            "country": mostly("NL", st.sampled_from(COUNTRIES)),
            "contact_phone": mostly("+31 10 123 4567", st.sampled_from(["", " "])),
        },
        {
            "postcode": postcodes,
            "contact_email": st.sampled_from(
                ["", "  ", "jan@haven.example", " jan@haven.example", "x"]
            ),
            "estimated_value": amounts,
            "sector": st.sampled_from(["", "food", "space", None]),
            "qualification": st.one_of(
                st.dictionaries(
                    st.sampled_from(["need", "talk_2w", "mood"]), st.sampled_from([True, 1, "yes"])
                ),
                st.just("yes"),
            ),
            "colour": st.just("red"),
        },
    )
)
def test_the_intake_takes_exactly_what_its_schema_allows(validator, data):
    serializer = LeadIntakeSerializer(data=data)
    assert validator("LeadIntakeRequest").is_valid(data) == serializer.is_valid(), (
        data,
        serializer.errors,
        [error.message for error in validator("LeadIntakeRequest").iter_errors(data)],
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body(
        {
            "company_name": mostly("Acme B.V.", texts),
            "country": mostly("DE", st.sampled_from(COUNTRIES)),
        },
        {
            "postcode": postcodes,
            "contact_email": st.sampled_from(["", "  ", "jan@haven.example", "x"]),
            "expected_value": amounts,
            "notes": texts,
            "colour": st.just("red"),
        },
    )
)
def test_a_claim_takes_exactly_what_its_schema_allows(validator, data):
    serializer = ClaimCreateSerializer(data=data)
    assert validator("ClaimCreateRequest").is_valid(data) == serializer.is_valid(), (
        data,
        serializer.errors,
    )


@pytest.mark.parametrize("country", [*POSTCODE_DIGITS, "FR", "GB", "US"])
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_postcode_of_the_published_syntax_is_accepted(country, data):
    postcode = data.draw(st.from_regex(postcode_pattern(country), fullmatch=True))
    normalize_postcode(country, postcode)  # raises if not
    assert postcode_errors({"country": country, "postcode": postcode}) == {}


@pytest.mark.parametrize(
    ("country", "postcode", "message"),
    [
        ("NL", "301", "not a valid Dutch postcode"),
        ("NL", "3011 SA", "not used in postcodes"),
        ("DE", "1234", "not a valid German postcode"),
        ("NL", "3011  AB", "plain letters and digits, as it is written in NL"),
        ("FR", "75001\t", "plain letters and digits"),
    ],
)
def test_a_postcode_off_the_syntax_gets_a_message_that_says_why(country, postcode, message):
    errors = postcode_errors({"country": country, "postcode": postcode})
    assert message in errors["postcode"][0]
    assert not re.search(postcode_pattern(country), postcode)


def _patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


def test_no_schema_pattern_leaves_space_to_the_regex_engine():
    """``\\s`` means other things to other engines: JSON Schema's (ECMA-262) leaves out
    U+0085, which Python's ``str.strip()`` trims, so "\\u0085" passed the schema as a
    company name and the API refused it as blank. Every pattern spells spaces out."""
    schema = SchemaGenerator().get_schema(public=True)
    offending = {p for p in _patterns(schema) if re.search(r"\\[sS]", p)}
    assert not offending, offending


def test_the_spelled_out_spaces_are_what_python_trims():
    from portal.api import CONTROL, PLAIN_SPACE, SPACE

    space, plain, control = (re.compile(f"[{c}]") for c in (SPACE, PLAIN_SPACE, CONTROL))
    for code in range(0x110000):
        char = chr(code)
        assert bool(space.fullmatch(char)) == char.isspace(), hex(code)
        assert bool(plain.fullmatch(char)) == (char.isspace() and not control.fullmatch(char))


def test_a_company_name_of_a_space_python_trims_is_outside_the_schema(validator):
    for blank in ("\u0085", " \u0085\u00a0", "\u3000"):
        assert not validator("ClaimCreateRequest").is_valid(
            {"company_name": blank, "country": "NL"}
        ), repr(blank)


def _path_parameter(path, name):
    operations = SchemaGenerator().get_schema(public=True)["paths"][path]
    (schema,) = {
        repr(parameter["schema"]): parameter["schema"]
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] == name
    }.values()
    return jsonschema.Draft7Validator(schema)


@settings(max_examples=400, deadline=None)
@given(
    external_id=st.one_of(
        st.text(max_size=102),
        st.text(alphabet="\u00a0\u0085\u3000 \t\n\x01\x00a", max_size=4),
        st.text(min_size=99, max_size=101, alphabet="ab \u00a0"),
    )
)
def test_an_account_path_id_the_schema_allows_is_taken_and_one_it_forbids_refused(
    external_id,
):
    """Schemathesis sent ``PUT /api/v1/accounts/%C2%A0/``: the schema said any string,
    the view refused a blank id. The published parameter and the view's reading agree."""
    from leads.api.serializers import AccountPathSerializer

    published = _path_parameter("/api/v1/accounts/{external_id}/", "external_id")
    read = AccountPathSerializer(data={"external_id": external_id})
    assert published.is_valid(external_id) == read.is_valid(), (external_id, read.errors)
    if read.is_valid():
        assert read.validated_data["external_id"] == external_id.strip()
