"""E-mail and web domains: lowercase ASCII (punycode), a leading "www." removed; the
free-mail domains that never match a company."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from leads.matching.normalize.common import nfkc

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        # international
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.nl",
        "outlook.be",
        "outlook.de",
        "outlook.at",
        "outlook.fr",
        "outlook.it",
        "outlook.es",
        "hotmail.com",
        "hotmail.nl",
        "hotmail.be",
        "hotmail.de",
        "hotmail.fr",
        "hotmail.ch",
        "hotmail.it",
        "hotmail.es",
        "hotmail.co.uk",
        "live.com",
        "live.nl",
        "live.be",
        "live.de",
        "live.at",
        "live.fr",
        "live.it",
        "live.co.uk",
        "msn.com",
        "passport.com",
        "windowslive.com",
        "yahoo.com",
        "yahoo.nl",
        "yahoo.de",
        "yahoo.fr",
        "yahoo.it",
        "yahoo.es",
        "yahoo.co.uk",
        "ymail.com",
        "rocketmail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aol.de",
        "aim.com",
        "mail.com",
        "email.com",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "tutanota.com",
        "tutanota.de",
        "tutamail.com",
        "tuta.io",
        "tuta.com",
        "zoho.com",
        "zohomail.eu",
        "fastmail.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "hushmail.com",
        # Germany
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "gmx.ch",
        "gmx.com",
        "gmx.eu",
        "gmx.fr",
        "web.de",
        "email.de",
        "t-online.de",
        "magenta.de",
        "freenet.de",
        "posteo.de",
        "posteo.net",
        "mailbox.org",
        "arcor.de",
        "online.de",
        "vodafonemail.de",
        "kabelmail.de",
        "1und1.de",
        # Netherlands
        "ziggo.nl",
        "kpnmail.nl",
        "kpnplanet.nl",
        "planet.nl",
        "home.nl",
        "xs4all.nl",
        "hetnet.nl",
        "casema.nl",
        "chello.nl",
        "upcmail.nl",
        "zonnet.nl",
        "quicknet.nl",
        "hccnet.nl",
        "kabelfoon.nl",
        "tele2.nl",
        "versatel.nl",
        "online.nl",
        "telfort.nl",
        "freeler.nl",
        "wxs.nl",
        "solcon.nl",
        "caiway.nl",
        "zeelandnet.nl",
        "tiscali.nl",
        # Belgium
        "telenet.be",
        "skynet.be",
        "proximus.be",
        "scarlet.be",
        "belgacom.net",
        "pandora.be",
        "voo.be",
        # Switzerland
        "bluewin.ch",
        "bluemail.ch",
        "hispeed.ch",
        "sunrise.ch",
        "swissonline.ch",
        # Austria
        "a1.net",
        "aon.at",
        "chello.at",
        "inode.at",
        "utanet.at",
        "liwest.at",
        # Luxembourg
        "pt.lu",
        "internet.lu",
        "vo.lu",
        "tango.lu",
        # France
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "laposte.net",
        "sfr.fr",
        "neuf.fr",
        "bbox.fr",
        "numericable.fr",
        # Italy / United Kingdom
        "libero.it",
        "virgilio.it",
        "alice.it",
        "tiscali.it",
        "btinternet.com",
    }
)

_ASCII_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL_LABEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_WWW_PREFIX = re.compile(r"^www\d{0,2}\.")


@functools.lru_cache(maxsize=65536)  # a lead's website and e-mail share their domain
def _clean_domain(host: str | None) -> str | None:
    """Lowercase ASCII host name with at least two labels, or None."""
    host = nfkc(host).rstrip(".").lower()
    if not host or len(host) > 253:
        return None
    labels = []
    for label in host.split("."):
        if not label.isascii():
            if not all(char.isalnum() or char == "-" for char in label):
                return None
            try:
                label = "xn--" + label.encode("punycode").decode("ascii")
            except UnicodeError:
                return None
        if not _ASCII_LABEL.fullmatch(label):
            return None
        labels.append(label)
    if len(labels) < 2 or not _TOP_LEVEL_LABEL.fullmatch(labels[-1]):
        return None  # single label, IP address, numeric TLD
    return ".".join(labels)


def is_free_mail_domain(domain: str | None) -> bool:
    """True for a free-mail / consumer ISP domain (or a subdomain of one)."""
    cleaned = _clean_domain(domain)
    if cleaned is None:
        return False
    labels = cleaned.split(".")
    return any(".".join(labels[i:]) in FREE_MAIL_DOMAINS for i in range(len(labels) - 1))


@functools.lru_cache(maxsize=65536)  # pure: the same input is seen many times
def domain_from_url(url_or_domain: str | None) -> str | None:
    """Host of a web address without "www.", port, path or credentials.

    >>> domain_from_url("https://www.Example.nl/contact")
    'example.nl'

    None for empty or invalid input. Free-mail domains are returned as they are (a
    website is not an e-mail address); call `is_free_mail_domain` where it matters.
    """
    text = nfkc(url_or_domain)
    if not text:
        return None
    if "://" not in text:
        text = "//" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    stripped = _WWW_PREFIX.sub("", host)
    if "." in stripped:
        host = stripped
    return _clean_domain(host)


@functools.lru_cache(maxsize=65536)  # pure: the same input is seen many times
def domain_from_email(email: str | None) -> str | None:
    """Lowercase domain of an e-mail address; None when invalid or free-mail.

    Accepts "jan@example.nl", "mailto:jan@example.nl" and "Jan <jan@example.nl>".
    """
    text = nfkc(email)
    if text.endswith(">") and "<" in text:
        text = text[text.rindex("<") + 1 : -1].strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    local, at, domain = text.rpartition("@")
    if not at or not local or any(char.isspace() for char in local):
        return None
    cleaned = _clean_domain(domain)
    if cleaned is None or is_free_mail_domain(cleaned):
        return None
    return cleaned
