"""The form builder in a real browser: define a conditional question, reorder with the
keyboard and by dragging (the script, under the CSP), and with the Up button (no script)."""

from playwright.sync_api import expect

from eventhub.extensions import db
from eventhub.questions import services
from tests.browser.test_event_journey import sign_in
from tests.factories import EventFactory


def _order(live_app, event_id) -> list[str]:
    with live_app.app_context():
        return [q.label_es for q in services.event_questions(event_id)]


def _event(live_app) -> int:
    with live_app.app_context():
        event = EventFactory(title="Mesa de Recoleta", published=True, registration_mode="open")
        db.session.commit()
        return event.id


def test_define_a_condition_and_reorder_by_keyboard_and_drag(page, live_server, live_app):
    event_id = _event(live_app)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server)
    page.goto(f"{live_server}/events/{event_id}")
    page.get_by_role("link", name="Preguntas de inscripción (0)").click()
    page.get_by_role("button", name="Agregar").first.click()  # the library's first: gender
    page.goto(f"{live_server}/events/{event_id}/questions/new")
    page.select_option("#kind", "yes_no")
    page.fill("#label_es", "¿Necesita interpretación?")
    page.click("#question-form [type=submit]")
    page.goto(f"{live_server}/events/{event_id}/questions/new")
    page.select_option("#kind", "multiple_choice")
    page.fill("#label_es", "¿Qué lengua?")
    page.fill("#choices", "Creole haitiano | Haitian Creole | 20\nLengua de señas")
    page.select_option("#condition", label="Solo si «¿Necesita interpretación?» es Sí")
    page.click("#question-form [type=submit]")
    items = page.locator("#question-list > li")
    expect(items).to_have_count(3)
    expect(items.nth(2)).to_contain_text("Se muestra si «¿Necesita interpretación?» es Sí")
    expect(items.nth(2)).to_contain_text("20 cupos")
    assert _order(live_app, event_id) == ["Género", "¿Necesita interpretación?", "¿Qué lengua?"]

    # The keyboard: the handle of the second question, arrow up.
    handle = items.nth(1).locator(".drag-handle")
    handle.focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#order-status")).to_have_text("Movida a la posición 1 de 3.")
    expect(items.nth(0)).to_contain_text("¿Necesita interpretación?")
    page.wait_for_timeout(300)
    assert _order(live_app, event_id) == ["¿Necesita interpretación?", "Género", "¿Qué lengua?"]

    # Dragging: gender to the end.
    target = items.nth(2).bounding_box()
    assert target is not None
    items.nth(1).drag_to(
        items.nth(2),
        source_position={"x": 4, "y": 4},  # the item's edge, not a link inside it
        target_position={"x": 4, "y": target["height"] - 4},
    )
    page.wait_for_timeout(300)
    assert _order(live_app, event_id) == ["¿Necesita interpretación?", "¿Qué lengua?", "Género"]

    # A conditional question dragged above its condition: refused, the page says why.
    page.reload()
    items.nth(1).locator(".drag-handle").focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator(".flash-error")).to_contain_text("debajo de la pregunta")
    assert _order(live_app, event_id) == ["¿Necesita interpretación?", "¿Qué lengua?", "Género"]
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_the_buttons_work_without_a_script(browser, live_server, live_app):
    event_id = _event(live_app)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server)
    for label in ("Uno", "Dos"):
        page.goto(f"{live_server}/events/{event_id}/questions/new")
        page.fill("#label_es", label)
        page.click("#question-form [type=submit]")
    items = page.locator("#question-list > li")
    expect(items.nth(1).locator(".drag-handle")).to_have_count(0)
    items.nth(1).get_by_role("button", name="Subir").click()
    expect(items.nth(0)).to_contain_text("Dos")
    assert _order(live_app, event_id) == ["Dos", "Uno"]
    context.close()
