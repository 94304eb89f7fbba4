"""An organiser uploads the sample CSV in a real browser and finds the imported organisations."""

from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "organisations.csv"


@pytest.fixture
def organiser_page(page, live_server):
    """Signed in through the real login form, located by ids rather than translated labels."""
    page.goto(f"{live_server}/login")
    login_form = page.locator("main form:has(#password)")
    login_form.locator("#email").fill("organiser@example.org")
    login_form.locator("#password").fill("correct horse battery")
    login_form.locator("button[type=submit], input[type=submit]").click()
    page.wait_for_url(f"{live_server}/")  # sign-in lands on the home
    return page


def test_upload_sample_csv_and_find_the_municipality(organiser_page, live_server):
    page = organiser_page
    page.goto(f"{live_server}/organisations/import")
    assert page.locator("#template-link").get_attribute("href") == (
        "/organisations/import/template.csv"
    )
    page.set_input_files("#file", str(SAMPLE))
    page.locator("#import-form").locator("button[type=submit], input[type=submit]").click()

    report = page.locator("#import-report")
    report.wait_for()
    added = page.locator("#report-rows tbody tr[data-status=added]")
    assert added.count() == 5
    assert page.locator("#report-rows tbody tr[data-status=rejected]").count() == 0
    assert page.locator("#counts-organisations .added").inner_text().strip() == "4"
    assert page.locator("#counts-contacts .added").inner_text().strip() == "4"
    assert "Municipalidad de Ñuñoa" in page.locator("#line-4").inner_text()

    page.goto(f"{live_server}/organisations/?kind=municipality")
    names = page.locator("#organisations tbody th[scope=row] a").all_inner_texts()
    assert sorted(names) == ["Municipalidad de Talca", "Municipalidad de Ñuñoa"]

    page.locator("#organisations a", has_text="Municipalidad de Talca").click()
    contacts = page.locator("#contacts-table tbody tr")
    assert contacts.count() == 2
    assert "ana.perez@talca.example.cl" in page.locator("#contacts-table").inner_text()
