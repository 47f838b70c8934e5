"""Every page a signed-in user can reach, found the way the user finds them.

``crawl(client)`` starts at every URL pattern without arguments (the walk of
``tests/test_url_walk.py``) and follows the links and GET forms (filters, previews)
of each page it opens, so a page with an id in its URL (a lead, a claim, a dealer) is
visited with the ids this user is shown. Each kind of page (view and query keys) is
opened a few times with different ids, not for every row of a list (``PER_KIND``,
``PER_VIEW``).

New pages are covered as soon as their URL exists or a page links to them;
``unreached(visited)`` names the patterns no crawl reached, so a test can insist on
all of them."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from django.urls import NoReverseMatch, Resolver404, get_resolver, resolve, reverse

from tests.test_url_walk import SKIP, kwarg_names, walk

# Not pages a person reads: the Django admin (its own translations), the API (JSON),
# the sign-out, and downloads.
NOT_PAGES = ("/admin/", "/api/", "/accounts/logout/", "/i18n/", "/static/", "/media/")
DOWNLOAD = re.compile(r"\.(csv|xlsx|json|txt)$|/export/|/download/")
# How often each kind of page (view and query keys) is opened, with different ids or
# filter values, and each view in all (its sort orders and filters are the same page).
PER_KIND = 2
PER_VIEW = 6


@dataclass
class Page:
    url: str
    view: str
    status: int
    html: str
    found_on: str = ""  # the page that links here; "" for a starting URL


class _Links(HTMLParser):
    """Links and GET forms of a page (a form's fields with the values it starts with)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and (href := values.get("href")) and "download" not in values:
            self.urls.append(href)
        elif tag == "form" and (values.get("method") or "get").lower() == "get":
            self._form = {"action": values.get("action") or "", "fields": []}
        elif self._form is not None and (name := values.get("name")):
            if tag == "input" and values.get("type") not in ("checkbox", "radio", "submit"):
                self._form["fields"].append((name, values.get("value") or ""))
            elif tag == "input" and "checked" in values:
                self._form["fields"].append((name, values.get("value") or "on"))
            elif tag == "select":
                self._select = name
        if tag == "option" and self._select and self._form is not None:
            fields = self._form["fields"]
            if "selected" in values or not any(n == self._select for n, _v in fields):
                fields = [(n, v) for n, v in fields if n != self._select]
                self._form["fields"] = [*fields, (self._select, values.get("value") or "")]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            action, fields = self._form["action"], self._form["fields"]
            self.urls.append(f"{action}?{urlencode(fields)}" if fields else action)
            self._form = None


def start_urls() -> list[str]:
    urls = []
    for name, _pattern, route in walk(get_resolver().url_patterns):
        if name is None or name.split(":")[-1] in SKIP or kwarg_names(route):
            continue
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue
    return urls


def _kind(url: str) -> tuple[str, tuple[str, ...]] | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(NOT_PAGES) or DOWNLOAD.search(parts.path):
        return None
    keys = tuple(sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair}))
    if "_export" in keys:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return match.view_name, keys


def crawl(client, limit: int = 1000) -> Iterator[Page]:
    """Open every page reachable for the client's user (see the module docstring).
    A redirect within the site is followed like a link."""
    queue = [(url, "") for url in start_urls()]
    seen_urls: set[str] = set()
    opened: dict[tuple, int] = {}
    per_view: dict[str, int] = {}
    while queue and len(seen_urls) < limit:
        url, found_on = queue.pop(0)
        current = url.split("#")[0]
        kind = _kind(current)
        if kind is None or current in seen_urls:
            continue
        if opened.get(kind, 0) >= PER_KIND or per_view.get(kind[0], 0) >= PER_VIEW:
            continue
        seen_urls.add(current)
        opened[kind] = opened.get(kind, 0) + 1
        per_view[kind[0]] = per_view.get(kind[0], 0) + 1
        response = client.get(current)
        html = ""
        if "html" in response.get("Content-Type", "") and not getattr(response, "streaming", False):
            html = response.content.decode()
        yield Page(current, kind[0], response.status_code, html, found_on)
        if response.status_code in (301, 302):
            queue.append((response["Location"], current))
        if response.status_code == 200 and html:
            parser = _Links()
            parser.feed(html)
            base = current.split("?")[0]
            queue.extend(
                (f"{base}{link}" if link.startswith("?") else link or base, current)
                for link in parser.urls
            )


def unreached(visited: set[str]) -> set[str]:
    """Named URL patterns (outside ``NOT_PAGES``) no crawl opened."""
    names = set()
    for name, _pattern, route in walk(get_resolver().url_patterns):
        if name is None or name.split(":")[-1] in SKIP or f"/{route}".startswith(NOT_PAGES):
            continue
        names.add(name)
    return names - visited
