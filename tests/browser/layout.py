"""Measuring "nothing clipped, nothing wider than the screen" in a real browser.

Shared by the layout tests (one container at a time: ``assert_nothing_clipped``) and the
screenshot tests (a whole page: ``overflow_problems``). Measured, not eyeballed: boxes come
from ``getBoundingClientRect`` and text from ``Range`` rectangles.
"""

from pathlib import Path

from playwright.sync_api import expect

# For each control under ``root``: its box, the root's box, and whether its text overflows it.
MEASURE = """root => {
  const r = root.getBoundingClientRect();
  return [...root.querySelectorAll('button, a, input, select')]
    .filter(el => el.getClientRects().length)
    .map(el => {
      const b = el.getBoundingClientRect();
      return {text: (el.innerText || el.value || el.name || '').trim(),
              left: b.left, right: b.right, rootLeft: r.left, rootRight: r.right,
              overflows: el.scrollWidth > el.clientWidth + 1};
    });
}"""


def assert_nothing_clipped(page, selector: str, width: int):
    """Every control under ``selector`` whole and on screen, the container not scrolling."""
    root = page.locator(selector)
    expect(root).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    scroll, client = root.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert scroll <= client, f"{selector} scrolls sideways: {scroll} > {client}"
    controls = root.evaluate(MEASURE)
    assert controls
    for c in controls:
        where = f"{c['text']!r} in {selector} at {width}px"
        assert c["left"] >= max(c["rootLeft"], 0) - 0.5, where
        assert c["right"] <= min(c["rootRight"], width) + 0.5, where
        assert not c["overflows"], f"{where}: its text overflows it"


# The containers that scroll sideways on purpose: what is inside them may be wider than the
# screen, since it is reached by scrolling the container, not the page.
#   .table-wrap   a wide table (participants, invitations, outbox…) scrolls in its own box
#   .chart-body   the follow-up's bar charts
#   .section-tabs ul  an event's section tabs stay one line on a phone (the door's search
#                 stays first on the screen) and scroll sideways
INTENDED_SCROLLERS = (".table-wrap", ".chart-body", ".section-tabs ul")

# The whole page, in one pass. Problems found (each a short sentence naming the element):
#   - the document is wider than the viewport;
#   - an element's box, or the content it lets overflow, reaches past the viewport's right
#     edge, unless a container that scrolls on purpose (INTENDED_SCROLLERS) holds it;
#   - a container that is not meant to scroll sideways does (overflow-x auto/scroll);
#   - a control (button, link, input, select, summary) cut off: partly outside the box of the
#     ancestor that clips it (overflow hidden/clip) or the viewport, or its own text wider
#     than its box;
#   - a line of text that runs out of the box that holds it (a long email in a cell);
#   - a word split across lines, its box narrower than the word (letters only: an address or
#     a link may break anywhere);
#   - a select of short labels (a filter's "All statuses") too narrow for its choice.
# Text fields are left out of "its own text wider": a typed value scrolls inside its field.
# Elements pushed wholly off to the left (the skip link until it has focus) are hidden on
# purpose and left out.
PAGE_OVERFLOW = (Path(__file__).parent / "page_overflow.js").read_text()


def overflow_problems(page) -> list[str]:
    """Everything wider than the screen or cut off on the page now shown (empty when fine)."""
    return page.evaluate(PAGE_OVERFLOW, list(INTENDED_SCROLLERS))
