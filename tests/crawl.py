"""Find the app's pages and forms the way a visitor would: follow links, read the <form>s.

The fuzz, XSS and accessibility tests use this instead of a hand-written list, so a route or a
form added later is reached without anyone remembering to add it here.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

TEXT_TYPES = {"text", "search", "hidden", "email", "url", "tel", "password", "textarea"}


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea", "select", "radio", "checkbox", "submit", "file"
    value: str = ""
    options: list[str] = field(default_factory=list)
    maxlength: int | None = None


@dataclass
class Form:
    action: str  # path with query, absolute on this site
    method: str
    fields: dict[str, Field] = field(default_factory=dict)
    enctype: str = ""

    def add(self, name: str, kind: str, value: str, maxlength: int | None = None) -> None:
        known = self.fields.get(name)
        if known is None:
            self.fields[name] = Field(name, kind, value, [value], maxlength)
        elif value not in known.options:
            known.options.append(value)


class PageParser(HTMLParser):
    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[str], str | None] | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.base, a["href"]))
        elif tag == "form":
            action = urljoin(self.base, a.get("action") or self.base)
            self._form = Form(action, (a.get("method") or "get").upper(), enctype=a.get("enctype"))
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            name, options, selected = self._select
            options.append(a.get("value", ""))
            if "selected" in a:
                selected = a.get("value", "")
            self._select = (name, options, selected)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            value = a.get("value") or "on" if kind in ("checkbox", "radio") else a.get("value", "")
            maxlength = int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None
            self._form.add(a["name"], kind, value, maxlength)
        elif tag == "button":
            self._form.add(a["name"], "submit", a.get("value", ""))
        elif tag == "select":
            self._select = (a["name"], [], None)
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options, selected = self._select
            default = selected if selected is not None else (options[0] if options else "")
            self._form.fields[name] = Field(name, "select", default, options)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.add(
                self._textarea[0],
                "textarea",
                self._textarea[1].replace("\r\n", "\n").removeprefix("\n"),
            )
            self._textarea = None


def parse_page(html: str, url: str) -> PageParser:
    parser = PageParser(url)
    parser.feed(html)
    return parser


def local_path(url: str) -> str | None:
    """The path and query of a link to this site (relative, or to localhost), else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "localhost"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def endpoint_of(app, path: str, method: str = "GET") -> tuple[str, dict] | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(urlsplit(path).path, method=method)
    except (NotFound, MethodNotAllowed):
        return None
    except HTTPException:  # redirects (e.g. a missing trailing slash)
        return None


@dataclass
class Page:
    url: str
    endpoint: str
    role: str
    status: int
    html: str


@dataclass
class Site:
    """One page per endpoint and role, every distinct form, the query keys seen in links."""

    pages: dict[tuple[str, str], Page] = field(default_factory=dict)
    forms: dict[str, tuple[str, Form, str]] = field(default_factory=dict)  # key -> role, form, page
    query_keys: dict[str, dict[str, set[str]]] = field(default_factory=dict)


def form_key(app, form: Form) -> str | None:
    """Forms are the same form when they go to the same endpoint with the same fields."""
    path = local_path(form.action)
    if path is None:
        return None
    match = endpoint_of(app, path, form.method)
    if match is None:
        return None
    names = ",".join(sorted(n for n in form.fields if n != "csrf_token"))
    return f"{form.method} {match[0]} [{names}]"


def filled(form: Form) -> int:
    return sum(1 for f in form.fields.values() if f.value and f.kind not in ("hidden", "submit"))


def crawl(app, clients: dict, seeds: list[str], limit_per_endpoint: int = 1) -> Site:
    """Breadth-first over same-site links, once per endpoint and role (GET never changes state)."""
    site = Site()
    for role, client in clients.items():
        queue = list(seeds)
        seen_endpoints: dict[str, int] = {}
        seen_urls: set[str] = set()
        while queue:
            url = queue.pop(0)
            path = local_path(url)
            if path is None or path in seen_urls or path.startswith("/static/"):
                continue
            seen_urls.add(path)
            match = endpoint_of(app, path)
            if match is None:
                continue
            endpoint = match[0]
            query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
            keys = site.query_keys.setdefault(endpoint, {})
            for key, value in query.items():
                keys.setdefault(key, set()).add(value)
            if seen_endpoints.get(endpoint, 0) >= limit_per_endpoint:
                continue
            seen_endpoints[endpoint] = seen_endpoints.get(endpoint, 0) + 1
            response = client.get(path)
            content_type = response.headers.get("Content-Type", "")
            html = response.get_data(as_text=True) if "html" in content_type else ""
            response.get_data()
            response.close()  # files (materials) are streamed: let go of them
            site.pages.setdefault(
                (endpoint, role), Page(path, endpoint, role, response.status_code, html)
            )
            if not html:
                continue
            parsed = parse_page(html, f"http://localhost{path}")
            queue.extend(parsed.links)
            for form in parsed.forms:
                key = form_key(app, form)
                if key is not None and (
                    key not in site.forms or filled(form) > filled(site.forms[key][1])
                ):
                    # The same form filled in (editing a record) reaches further than empty.
                    site.forms[key] = (role, form, path)
                if form.method == "GET":
                    target = endpoint_of(app, local_path(form.action) or "/")
                    if target:
                        keys = site.query_keys.setdefault(target[0], {})
                        for name, fld in form.fields.items():
                            keys.setdefault(name, set()).update(fld.options)
    return site


def outbox_links(texts: list[str], base_url: str) -> list[str]:
    """Personal links (invitation, registration, check-in, opt-out) found in queued mail."""
    found = []
    for text in texts:
        for url in re.findall(re.escape(base_url) + r"/[^\s\"'<>)]*", text or ""):
            found.append("http://localhost" + url[len(base_url) :])
    return found
