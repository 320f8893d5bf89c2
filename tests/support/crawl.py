"""The words crawl: what a person reads on a page, and what must never be in it.

`visible_text(html)` keeps the text a person sees (no tags, attributes, scripts or styles);
`offences(text)` names each internal key, rule code, source tag, UTC or ISO timestamp, raw E.164
phone and British spelling in it; `crawl(client, seeds)` follows a signed-in (or anonymous)
person's links breadth-first, same site, GET only, bounded, and returns what it found per URL.
Used by tests/test_crawl_words.py.
"""

import io
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from pypdf import PdfReader

# Words in their British spelling -> the US one. Whole words only, any case.
BRITISH = {
    "licence": "license",
    "licences": "licenses",
    "licenced": "licensed",
    "labelling": "labeling",
    "labelled": "labeled",
    "colour": "color",
    "colours": "colors",
    "coloured": "colored",
    "cancelled": "canceled",
    "cancelling": "canceling",
    "organisation": "organization",
    "organisations": "organizations",
    "organise": "organize",
    "organised": "organized",
    "centre": "center",
    "centres": "centers",
    "favour": "favor",
    "favourite": "favorite",
    "behaviour": "behavior",
    "judgement": "judgment",
    "honour": "honor",
    "analyse": "analyze",
    "analysed": "analyzed",
    "recognise": "recognize",
    "recognised": "recognized",
    "authorise": "authorize",
    "authorised": "authorized",
    "minimise": "minimize",
    "prioritise": "prioritize",
    "summarise": "summarize",
    "catalogue": "catalog",
    "programme": "program",
    "enrol": "enroll",
    "fulfil": "fulfill",
    "travelled": "traveled",
    "modelling": "modeling",
    "grey": "gray",
    "tumour": "tumor",
    "oedema": "edema",
    "anaesthetic": "anesthetic",
    "anaesthesia": "anesthesia",
    "haemorrhage": "hemorrhage",
    "paediatric": "pediatric",
    "ageing": "aging",
    "defence": "defense",
    "offence": "offense",
    "cheque": "check",
    "mum": "mom",
    "whilst": "while",
    "fortnight": "two weeks",
    "neighbour": "neighbor",
    "practise": "practice",
    "practised": "practiced",
    "towards": "toward",
}
_BRITISH = re.compile(r"\b(" + "|".join(sorted(BRITISH, key=len, reverse=True)) + r")\b", re.I)

# An internal key: two or more lowercase words joined by underscores (lateral_canthal_right,
# bleeding_problems, a rule id), not inside an email address or a path.
_KEY = re.compile(r"(?<![\w@./:{-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@}-])")
_SOURCE_TAG = re.compile(r"\bSource:\s*glabella\b|\bglabella[-_ ]?(?:policy|house)\b", re.I)
_ISO_DATE = re.compile(r"(?<![\w/-])\d{4}-\d{2}(?:-\d{2})?(?![\w/])")
_ISO_TIME = re.compile(r"(?<=\d)T\d{2}:\d{2}|(?<![\w:])T\d{2}:\d{2}")
_UTC = re.compile(
    r"\bUTC\b|\bGMT\b|\+00:00\b|\d:\d{2}:\d{2}(?:\.\d+)?[+-]\d{2}:?\d{2}\b|\d{2}:\d{2}(?::\d{2})?Z\b"
)
_E164 = re.compile(r"(?<![\w])\+1\d{10}\b")

CHECKS = (
    ("internal key", _KEY),
    ("source tag", _SOURCE_TAG),
    ("ISO date", _ISO_DATE),
    ("ISO time", _ISO_TIME),
    ("UTC", _UTC),
    ("phone not in national format", _E164),
    ("British spelling", _BRITISH),
)


class _Reader(HTMLParser):
    """Collects the text between tags, skipping what is never shown, and the links."""

    HIDDEN = {"script", "style", "template", "noscript", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        if tag in self.HIDDEN:
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
        if tag in {"br", "p", "li", "td", "th", "div", "tr", "h1", "h2", "h3", "option"}:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1
        self.parts.append(" ")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._hidden:
            self.parts.append(data)


def read_html(body: str) -> tuple[str, list[str]]:
    """(the visible text with the page's title, the hrefs of its links)."""
    reader = _Reader()
    reader.feed(body)
    reader.close()
    return reader.title + "\n" + "".join(reader.parts), reader.links


def visible_text(body: str) -> str:
    return read_html(body)[0]


def offences(text: str) -> list[str]:
    """Each offence in the text, as 'kind: "what" in "…context…"'."""
    found = []
    for kind, pattern in CHECKS:
        for m in pattern.finditer(text):
            start, end = max(0, m.start() - 30), min(len(text), m.end() + 30)
            context = " ".join(text[start:end].split())
            found.append(f'{kind}: "{m.group(0)}" in "…{context}…"')
    return found


# Never opened: they sign out, sign in with a one-time link, keep a session alive, or are the
# API (ISO 8601 by contract), Django's admin, static files, or a calendar feed (iCalendar's own
# UTC format).
SKIP = re.compile(
    r"^/(?:es/)?(?:api/|admin/|static/|sign-out/|still-here/|portal/sign-in/.+|welcome/|calendar/.+\.ics"
    r"|registration/|authentication/|jsi18n/)"
)


def _shape(path: str) -> str:
    """A URL with its ids and tokens blanked: pages of one kind share a shape."""
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", path)
    return re.sub(r"/[A-Za-z0-9_:.-]{20,}/", "/<token>/", path)


def text_of(response) -> tuple[str, list[str]]:
    """What a person reads in a response (HTML's visible text, CSV, a PDF's text) and its links."""
    kind = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if kind.startswith("application/pdf"):
        pages = PdfReader(io.BytesIO(body)).pages
        return "\n".join(p.extract_text() for p in pages), []
    if kind.startswith("text/html"):
        return read_html(body.decode("utf-8", errors="replace"))
    if kind.startswith(("text/csv", "text/plain")):
        return body.decode("utf-8", errors="replace"), []
    return "", []  # images, JSON, calendars: not words a page shows


def crawl(client, seeds, *, limit=250, per_shape=3, per_path=4, sample=(), within="/"):
    """Breadth-first from the seeds over same-site links (GET only). Returns
    {url: [problems]} for every URL opened with a problem, and the URLs opened in order.
    Bounded: at most `limit` URLs, `per_shape` instances of a path with ids in it (three
    patients' record pages, not thirty; every page of the `sample`'s ids is opened), `per_path`
    query strings per path (a calendar's days). Only paths under `within` are followed (the
    Spanish pages: "/es/")."""
    queue = deque(seeds)
    seen: set[str] = set(seeds)
    shapes: dict[str, int] = {}
    paths: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    opened: list[str] = []
    while queue and len(opened) < limit:
        url = queue.popleft()
        opened.append(url)
        response = client.get(url)
        if response.status_code >= 500:
            problems.setdefault(url, []).append(f"server error {response.status_code}")
            continue
        if response.status_code in (301, 302, 303, 307, 308):
            links = [response["Location"]]
            text = ""
        elif response.status_code >= 400:
            continue  # refused or gone: the permission tests' business, not the words'
        else:
            text, links = text_of(response)
        found = offences(text)
        if found:
            problems.setdefault(url, []).extend(found)
        for href in links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            here = parts.path + (f"?{parts.query}" if parts.query else "")
            if here in seen or SKIP.match(parts.path) or not parts.path.startswith(within):
                continue
            shape = _shape(parts.path)
            if any(str(s) in parts.path for s in sample):
                shape = parts.path
            if shape != parts.path and shapes.get(shape, 0) >= per_shape and not parts.query:
                continue
            if parts.query and paths.get(parts.path, 0) >= per_path:
                continue
            seen.add(here)
            if parts.query:
                paths[parts.path] = paths.get(parts.path, 0) + 1
            elif shape != parts.path:
                shapes[shape] = shapes.get(shape, 0) + 1
            queue.append(here)
    return problems, opened
