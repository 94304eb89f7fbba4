"""The interface's system, measured in Chromium on the populated demo world (issue 19).

- Buttons: every visible <button>, submit input and link styled as a button on the main
  signed-in pages is one of the system's kinds (secondary by default, primary, danger, a link
  in text, the door's big one), and all of one kind have the same height and font size.
- Nothing is fetched from another site: every request a page makes goes to EventHub itself.
- Keyboard focus: tabbing through pages, the focused element always has an outline of at
  least 2 px that stands out (3:1 or more) against what it is drawn on.
- The header: one line at 1280 px for an admin (every link, Spanish and English); on a phone,
  without JavaScript, the links fold behind the menu button and every one can be reached.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import test_accessibility
from tests.browser.test_accessibility import PAGES, sign_in_admin

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The accessibility test's populated site (the demo world, crawled), built for this module."""
    yield from test_accessibility.a11y_site.__wrapped__(tmp_path_factory)


# Each visible button-like control: its kind (from its classes), its box and computed style.
BUTTONS = """() => [...document.querySelectorAll(
    'button, input[type=submit], input[type=button], input[type=reset], a.button')]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map(el => {
    const cs = getComputedStyle(el), has = c => el.classList.contains(c);
    const kind = has('link') ? 'link' : has('big') ? 'big' : has('danger') ? 'danger'
      : has('primary') ? 'primary' : 'secondary';
    return {kind, text: (el.innerText || el.value || '').trim().slice(0, 40),
            height: Math.round(el.getBoundingClientRect().height), fontSize: cs.fontSize,
            parentFontSize: getComputedStyle(el.parentElement).fontSize,
            lineHeight: parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.2,
            background: cs.backgroundColor,
            border: `${cs.borderTopWidth} ${cs.borderTopStyle}`, radius: cs.borderTopLeftRadius};
  })"""

# What the focused element's ring looks like, and the colour behind it (the ring is drawn
# outside the element, so on its parent's background).
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  let background = 'rgb(255, 255, 255)';
  for (let node = el.parentElement; node; node = node.parentElement) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') { background = bg; break; }
  }
  return {what: `${el.tagName} ${(el.innerText || el.value || el.name || '').trim().slice(0, 30)}`,
          style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), color: cs.outlineColor,
          shadow: cs.boxShadow, background};
}"""

# The system's sizes (style.css, "Buttons: one system"): 44 px high at 16 px for the three
# kinds; a label that wraps adds whole lines.
KINDS = {
    "secondary": {"fontSize": "16px", "background": "rgb(255, 255, 255)"},
    "primary": {"fontSize": "16px", "background": "rgb(11, 92, 173)"},
    "danger": {"fontSize": "16px", "background": "rgb(255, 255, 255)"},
}


def paths_of(urls: dict, role: str) -> list[tuple[str, str]]:
    return [(endpoint, path) for (who, endpoint), path in urls.items() if who == role]


ASSET_TAGS = {
    "script",
    "link",
    "img",
    "iframe",
    "source",
    "video",
    "audio",
    "embed",
    "object",
    "track",
    "image",
    "use",
}
ASSET_ATTRIBUTES = {"src", "href", "srcset", "data", "poster", "xlink:href"}


class AssetFinder(HTMLParser):
    """Every address a page's tags would fetch by themselves (not the links one follows)."""

    def __init__(self):
        super().__init__()
        self.addresses: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ASSET_TAGS:
            for name, value in attrs:
                if name in ASSET_ATTRIBUTES and value:
                    self.addresses += [part.split()[0] for part in value.split(",") if part.strip()]


def watch_requests(page, base: str, found: list[str]) -> None:
    page.on("request", lambda r: None if r.url.startswith(base) else found.append(r.url))


def foreign_assets(html: str) -> list[str]:
    finder = AssetFinder()
    finder.feed(html)
    return [a for a in finder.addresses if urlsplit(a).netloc or urlsplit(a).scheme]


def check_button(button: dict, where: str) -> list[str]:
    """What is wrong with one measured button, if anything."""
    problems = []
    if button["kind"] == "link":
        if button["fontSize"] != button["parentFontSize"] or button["border"] != "0px none":
            problems.append(f"{where}: a .link button that does not look like its text")
    elif button["kind"] == "big":
        if button["fontSize"] != "20.8px" or button["height"] < 44:
            problems.append(f"{where}: the big button is not big")
    else:
        expected = KINDS[button["kind"]]
        lines = round((button["height"] - 44) / button["lineHeight"])
        if (
            button["fontSize"] != expected["fontSize"]
            or button["background"] != expected["background"]
            or button["border"] != "1px solid"
            or button["radius"] != "4px"
            or lines < 0
            or abs(button["height"] - 44 - lines * button["lineHeight"]) > 1
        ):
            problems.append(f"{where}: not the system's {button['kind']} button: {button}")
    return problems


def test_every_button_is_one_of_the_system_and_nothing_comes_from_elsewhere(site, browser):
    base, urls = site
    problems, seen, elsewhere = [], {}, []
    for role in PAGES:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        watch_requests(page, base, elsewhere)
        if role == "admin":
            sign_in_admin(page, base)
        for endpoint, path in paths_of(urls, role):
            response = page.goto(base + path)
            assert response.ok, f"{endpoint} answered {response.status}"
            elsewhere += [f"{endpoint}: {a}" for a in foreign_assets(page.content())]
            for button in page.evaluate(BUTTONS):
                problems += check_button(button, f"{role} {endpoint} {button['text']!r}")
                if button["kind"] in KINDS and button["height"] == 44:
                    sizes = seen.setdefault(button["kind"], set())
                    sizes.add((button["height"], button["fontSize"]))
        context.close()
    assert not problems, "\n".join(problems)
    # Every kind appears, and each at exactly one size.
    assert seen.keys() == KINDS.keys()
    assert all(len(sizes) == 1 for sizes in seen.values()), seen
    assert not elsewhere, f"fetched from other sites: {elsewhere[:5]}"


def test_a_page_that_fetched_from_elsewhere_would_be_caught():
    page = (
        '<link rel="stylesheet" href="/static/style.css"><img src="https://cdn.example/x.png">'
        '<script src="//cdn.example/x.js"></script><a href="https://example.org/">a link</a>'
        '<img srcset="/a.png 1x, https://cdn.example/b.png 2x">'
    )
    assert foreign_assets(page) == [
        "https://cdn.example/x.png",
        "//cdn.example/x.js",
        "https://cdn.example/b.png",
    ]


def contrast(one: str, other: str) -> float:
    def luminance(rgb: str) -> float:
        channels = [int(float(c)) / 255 for c in rgb[rgb.index("(") + 1 : -1].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


FOCUS_PAGES = [
    "events.list_events",
    "events.show_event",
    "registrations.participants",
    "invitations.invite",
    "followup.event_followup",
]


def test_keyboard_focus_is_visible_on_every_stop(site, browser):
    base, urls = site
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in_admin(page, base)
    problems, stops = [], 0
    for endpoint in FOCUS_PAGES:
        page.goto(base + urls[("admin", endpoint)])
        for _ in range(30):
            page.keyboard.press("Tab")
            ring = page.evaluate(FOCUS_RING)
            if ring is None:
                continue
            stops += 1
            where = f"{endpoint}: {ring['what']!r}"
            if ring["style"] == "none" or ring["width"] < 2:
                problems.append(f"{where} has no visible outline ({ring})")
            elif contrast(ring["color"], ring["background"]) < 3:
                problems.append(f"{where}: the outline hardly shows ({ring})")
    context.close()
    assert stops > 100
    assert not problems, "\n".join(problems)


HEADER_ITEMS = """() => [...document.querySelectorAll(
    '.site-header nav > ul > li > a, .nav-group > summary, .session-tools a, .session-tools button,'
    + ' .lang-switch button')]
  .map(el => ({text: el.innerText.trim(), top: el.getBoundingClientRect().top,
               visible: el.getClientRects().length > 0}))"""


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_admins_header_is_one_line_at_1280(site, browser, language):
    base, _urls = site
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in_admin(page, base, language)
    items = page.evaluate(HEADER_ITEMS)
    assert len(items) >= 10 and all(item["visible"] for item in items), items
    tops = [item["top"] for item in items]
    assert max(tops) - min(tops) <= 2, items
    assert page.locator(".site-header").bounding_box()["height"] < 70
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    # The admin's pages fold out below their toggle, and the menu closes again on Escape.
    accounts = page.get_by_role("link", name="Cuentas" if language == "es" else "Accounts")
    expect(accounts).to_be_hidden()
    page.locator(".nav-group > summary").click()
    expect(accounts).to_be_visible()
    page.keyboard.press("Escape")
    expect(accounts).to_be_hidden()
    page.locator(".nav-group > summary").click()
    accounts.click()
    page.wait_for_url(f"{base}/users/")
    context.close()


def test_on_a_phone_without_javascript_every_link_is_behind_the_menu(site, browser):
    base, _urls = site
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False)
    page = context.new_page()
    sign_in_admin(page, base)
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] < 100
    audit = page.get_by_role("link", name="Registro de auditoría")
    expect(audit).to_be_hidden()
    page.locator("summary", has_text="Menú").click()
    items = page.evaluate(HEADER_ITEMS)
    hidden = [item["text"] for item in items if not item["visible"]]
    assert hidden == ["Administración"], items  # its links are listed in the open menu itself
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    audit.click()
    page.wait_for_url(f"{base}/admin/audit")
    context.close()
