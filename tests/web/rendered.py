"""What a person reads on a rendered page, and what must not be there: a message left in
another language (a msgid left untranslated, another catalogue's words), a raw code of the
label tables, an ISO date, a two-digit year, an unformatted phone number.

``crawl`` visits every page and fragment reachable from a start page (links, htmx GETs),
then posts each form once with its visible fields empty (its error state)."""
from __future__ import annotations

import functools
import os
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from babel.messages.pofile import read_po

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
LANGUAGES = ("fr", "nl", "de", "en")

# Words that only one of the four languages uses (never a name or a word of the others).
WORDS = {
    "en": {"the", "and", "with", "please", "your", "this", "which", "from", "been", "should",
           "would", "could", "were", "there", "their", "cannot", "yet", "not", "has", "have",
           "will", "enter", "choose", "show", "shown", "page", "search", "back", "next",
           "unknown", "expired", "longer", "username",
           "none", "yes", "no"},
    "fr": {"les", "une", "et", "est", "pour", "avec", "vous", "votre", "dans",
           "sur", "aucun", "aucune", "être", "été", "cette", "oui", "non"},
    "nl": {"het", "een", "niet", "voor", "zijn", "uw", "wordt", "werd", "geen", "nog",
           "ja", "nee", "naar", "bij"},
    "de": {"und", "der", "nicht", "mit", "für", "ist", "wird", "wurde", "kein", "keine",
           "noch", "nein", "bitte", "oder", "eine"},
}
# Seen on pages of every language: a word of another language that is also a word here.
SHARED = {"fr": {"page"}, "nl": {"ja", "none"}, "de": {"ja", "none", "die"}, "en": set()}

# The title is text only: a tag inside it is shown to the reader as it is written.
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
EMPTY_FACT = re.compile(r"<dt[^>]*>([^<]*)</dt>\s*<dd[^>]*>\s*</dd>")
MARKUP = re.compile(r"</?[a-z][a-z0-9]*(\s[^<>]*)?>")
ISO_DATE = re.compile(r"(?<![\d.])\d{4}-\d{2}-\d{2}(?![\d])")
SHORT_YEAR = re.compile(r"(?<![\d.,/-])\d{1,2}[./-]\d{1,2}[./-]\d{2}(?![\d./-])")
E164 = re.compile(r"\+\d{10,}")
# French: a no-break space (or a narrow one) before : ; ? ! (not in 08:30 or https://).
FRENCH_PUNCTUATION = re.compile(r"[^\s\u00a0\u202f]([:;?!])(?=\s|$)")
TOKEN = re.compile(r"[\w.]+")


def _catalogue(language):
    path = os.path.join(ROOT, "translations", language, "LC_MESSAGES", "messages.po")
    with open(path, "rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale=language)
                if m.id and isinstance(m.id, str) and m.string}


def _shape(text: str) -> str:
    """A message as it can appear on a page: placeholders are any text."""
    return re.sub(r"\s+", " ", text).strip()


@functools.cache
def foreign_messages(language: str) -> dict[str, str]:
    """Texts of the other languages' catalogues (the msgid is English) that this language's
    catalogue does not also use: shown on a page in ``language``, they are a message left in
    another language."""
    catalogues = {lang: _catalogue(lang) for lang in LANGUAGES}
    own = {_shape(text) for text in catalogues[language].values()}
    own |= {_shape(text) for text in catalogues[language]} if language == "en" else set()
    found = {}
    for lang in LANGUAGES:
        for msgid, text in catalogues[lang].items():
            for candidate in (text, msgid) if lang == "en" else (text,):
                shaped = _shape(candidate)
                if "%(" in shaped or len(shaped) < 4 or shaped in own:
                    continue
                if not re.search(r"[^\W\d_]{3}", shaped):
                    continue
                found.setdefault(shaped, f"{lang} for {msgid!r}")
    return found


@functools.cache
def _foreign_phrases(language: str):
    """The longer foreign messages, found inside a longer text too."""
    phrases = sorted((text for text in foreign_messages(language)
                      if len(text) >= 20 and text.count(" ") >= 3), key=len, reverse=True)
    return re.compile("|".join(r"(?<!\w)" + re.escape(p) + r"(?!\w)" for p in phrases))


@functools.cache
def codes() -> tuple[set, set]:
    """The codes of the label tables: (codes found as a word in a text, codes found only
    as a whole text — plain lowercase words such as ``ok``)."""
    from stts import labels

    words, whole = set(), set()
    for table in labels.LABEL_TABLES.values():
        for code in table:
            if not isinstance(code, str) or len(code) < 2:
                continue
            if code.isupper() or "_" in code or "." in code:
                words.add(code)
            elif code.islower() and " " not in code:  # "Request" is an English word too,
                whole.add(code)                        # "unknown username" its own label
    return words, whole


class _Texts(HTMLParser):
    """The texts a person reads (text nodes and the attributes read aloud or shown), except
    in script, style, and elements marked as another language (the language switcher)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}
    SKIP = {"script", "style", "template", "textarea", "pre", "code"}
    ATTRS = ("title", "aria-label", "placeholder", "alt", "data-error-message",
             "data-confirm", "hx-confirm")

    def __init__(self, language):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack = []  # (tag, skipped)
        self.texts = []

    def _skipped(self):
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        skipped = (self._skipped() or tag in self.SKIP
                   or (lang is not None and lang.split("-")[0] != self.language))
        if not skipped:
            for name in self.ATTRS:
                if attrs.get(name):
                    self.texts.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.texts.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._skipped():
            text = _shape(data)
            if text:
                self.texts.append(text)


def visible_texts(html: str, language: str) -> list[str]:
    parser = _Texts(language)
    parser.feed(html)
    return parser.texts


def problems(html: str, language: str) -> list[str]:
    """What a reader of ``language`` should not see on this page."""
    found = []
    foreign = foreign_messages(language)
    phrases = _foreign_phrases(language)
    word_codes, whole_codes = codes()
    others = set().union(*(WORDS[lang] for lang in LANGUAGES if lang != language))
    others -= WORDS[language] | SHARED[language]
    title = TITLE.search(html)
    if title and "<" in title.group(1):
        found.append(f"markup in the page title (shown as text): {title.group(1)!r}")
    for fact in EMPTY_FACT.finditer(html):
        found.append(f"a fact shown with no value (a dash says none): {fact.group(1)!r}")
    for text in visible_texts(html, language):
        if MARKUP.search(text):
            found.append(f"markup shown as text in {text!r}")
        if text in foreign:
            found.append(f"message in another language: {text!r} ({foreign[text]})")
        else:
            match = phrases.search(text)
            if match:
                found.append(f"message in another language: {match.group(0)!r} in {text!r} "
                             f"({foreign[match.group(0)]})")
        words = [w for w in re.findall(r"[^\W\d_]+", text)]
        strangers = [w for w in words if w in others]
        if strangers and len(words) >= 2:
            found.append(f"words of another language {strangers} in {text!r}")
        for token in TOKEN.findall(text):
            token = token.strip(".")
            if token in word_codes:
                found.append(f"raw code {token!r} in {text!r}")
        if text in whole_codes:
            found.append(f"raw code {text!r}")
        if ISO_DATE.search(text):
            found.append(f"ISO date in {text!r}")
        if SHORT_YEAR.search(text):
            found.append(f"two-digit year in {text!r}")
        if language == "fr" and FRENCH_PUNCTUATION.search(text):
            found.append(f"no no-break space before {FRENCH_PUNCTUATION.search(text).group(1)}"
                         f" in {text!r}")
        if E164.search(text):
            found.append(f"unformatted phone number in {text!r}")
    return found


# -- the crawl ----------------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.fragments, self.forms = [], [], []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("hx-get"):
            self.fragments.append(attrs["hx-get"])
        if tag == "form":
            self._form = {"method": (attrs.get("method") or "get").lower(),
                          "action": attrs.get("action") or "", "hidden": {}, "visible": set(),
                          "enctype": attrs.get("enctype"),
                          # A search form posts only to keep a national number out of the
                          # URL; it changes nothing and is sent again on every keystroke.
                          "search": attrs.get("role") == "search"}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea") and attrs.get("name"):
            if tag == "input" and attrs.get("type") == "hidden":
                self._form["hidden"][attrs["name"]] = attrs.get("value") or ""
            elif tag != "input" or attrs.get("type") not in ("submit", "button", "reset"):
                self._form["visible"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _pattern(path: str) -> str:
    """Pages of one kind: numbers and query values left out."""
    parts = urlsplit(path)
    keys = sorted({kv.split("=")[0] for kv in parts.query.split("&") if kv})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


SKIPPED_PATHS = ("/static/", "/logout", "/language")
DOWNLOADS = (".csv", ".xml", ".pdf", ".xsd")


def crawl(client, start: str, *, language: str, per_kind: int = 3, limit: int = 250,
          skip_posts=(), report=None) -> dict[str, list[str]]:
    """Visit every page reachable from ``start``; returns {address: problems}."""
    found: dict[str, list[str]] = {}
    seen, kinds = set(), {}
    queue = [(start, False)]
    forms = {}
    visited = 0

    def check(address, response):
        if response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            trouble = problems(body, language)
            if trouble:
                found[address] = trouble
            return body
        return None

    while queue and visited < limit:
        address, fragment = queue.pop(0)
        response = client.get(address, headers={"HX-Request": "true"} if fragment else {})
        visited += 1
        assert response.status_code < 500, f"{address}: {response.status_code}"
        if response.status_code in (301, 302, 303) and not fragment:
            target = urlsplit(urljoin(address, response.headers["Location"]))
            target = target.path + (f"?{target.query}" if target.query else "")
            if target not in seen:
                seen.add(target)
                queue.insert(0, (target, False))
            continue
        body = check(address + (" (fragment)" if fragment else ""), response)
        if body is None:
            continue
        parser = _Links()
        parser.feed(body)
        for href, is_fragment in ([(h, False) for h in parser.links]
                                  + [(h, True) for h in parser.fragments]):
            target = urlsplit(urljoin(address, href))
            if target.netloc or target.scheme not in ("", "http") or not target.path:
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            if path.startswith(SKIPPED_PATHS) or (path, is_fragment) in seen:
                continue
            if target.path.endswith(DOWNLOADS):
                if report is not None:
                    report.setdefault("downloads", set()).add(path)
                continue
            kind = (_pattern(path), is_fragment)
            if kinds.get(kind, 0) >= per_kind:
                continue
            kinds[kind] = kinds.get(kind, 0) + 1
            seen.add((path, is_fragment))
            queue.append((path, is_fragment))
        for form in parser.forms:
            action = urlsplit(urljoin(address, form["action"] or address)).path
            if (form["method"] == "post" and "_once" not in form["hidden"] and not form["search"]
                    and not action.startswith(SKIPPED_PATHS) and report is not None):
                report.setdefault("without_once", set()).add(f"{_pattern(action)} on {address}")
            if (form["method"] != "post" or not form["visible"]
                    or action.startswith(SKIPPED_PATHS) or action in skip_posts):
                continue
            forms.setdefault(_pattern(action), (action, form))
    # Each form's error state: its visible fields left empty.
    for action, form in forms.values():
        data = dict(form["hidden"])
        response = client.post(action, data=data,
                               content_type="multipart/form-data" if form["enctype"] else None)
        assert response.status_code < 500, f"POST {action}: {response.status_code}"
        check(f"POST {action} ({response.status_code})", response)
        visited += 1
    if report is not None:
        report.setdefault("without_once", set())
        report["visited"] = report.get("visited", 0) + visited
        report.setdefault("forms", set()).update(forms)
    return found
