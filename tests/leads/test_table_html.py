"""The lead table builds its header and rows in Python for speed; they must read the
same as tables2's own bootstrap5 template would render them."""

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation
from django_tables2 import RequestConfig

from leads.models import Lead
from leads.tables import LeadTable

TABLES2 = Template(
    '{% extends "django_tables2/bootstrap5.html" %}'
    "{% block table.tbody %}{% endblock %}{% block pagination %}{% endblock %}"
)


def squeeze(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).replace(" >", ">").strip()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["", "?status=open&temperature=hot&sort=sla&q=a%26b", "?sort=-created_at&page=2"]
)
@pytest.mark.parametrize("show_assignee", [True, False])
def test_the_header_reads_as_tables2_renders_it(query, show_assignee):
    request = RequestFactory().get("/leads/" + query)
    with translation.override("en"):
        table = LeadTable(Lead.objects.none(), show_assignee=show_assignee)
        RequestConfig(request, paginate=False).configure(table)
        rendered = TABLES2.render(Context({"table": table, "request": request}))
        header = table.thead_html()
    expected = re.search(r"<thead.*?</thead>", rendered, re.S).group(0)
    assert squeeze(header) == squeeze(expected)
    assert "Handled by" in expected if show_assignee else "Handled by" not in expected
