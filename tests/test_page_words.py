"""What every page says when a person just looks: no error nobody caused, no "1 <plural>".

The pages are found by crawling the demo world (tests/world.py), in Spanish and in English,
so a page or filter form added later is walked without anyone listing it here.
"""

from urllib.parse import urlencode

import pytest

from tests.crawl import crawl, local_path, parse_page
from tests.world import build_world, clients

INVALID_CHOICE = ("Not a valid choice", "Opción inválida", 'class="errors"')


@pytest.fixture
def walked(app):
    """Every page an admin reaches, by language: {lang: Site}, and the clients used."""
    world = build_world(app)
    result = {}
    for lang in ("es", "en"):
        admin = clients(app)["admin"]
        with admin.session_transaction() as session:
            session["lang"] = lang
        result[lang] = (crawl(app, {"admin": admin}, world.seeds), admin)
    return result


def test_no_filter_form_greets_a_plain_visit_with_an_error(walked):
    checked = 0
    for lang, (site, client) in walked.items():
        for page in site.pages.values():
            if page.status != 200 or not page.html:
                continue
            for form in parse_page(page.html, f"http://localhost{page.url}").forms:
                if form.method != "GET" or local_path(form.action) is None:
                    continue
                path = local_path(form.action).split("?")[0]
                # A plain visit, and a search with only the text typed (the other fields absent).
                texts = [f.name for f in form.fields.values() if f.kind in ("search", "text")]
                queries = ["", *(f"?{urlencode({name: 'a'})}" for name in texts[:1])]
                for query in queries:
                    html = client.get(path + query).get_data(as_text=True)
                    found = [text for text in INVALID_CHOICE if text in html]
                    assert not found, f"{lang} {path}{query}: {found}"
                    checked += 1
    assert checked >= 10  # the events list, the directory, speakers, programmes, participants…
