"""Enums carry their labels: declared once with the value, translated when shown."""

import pytest
from flask_babel import force_locale

from eventhub.events.models import EventKind
from eventhub.forms import options
from eventhub.invitations.models import InvitationState


def test_a_member_is_its_stored_value():
    assert EventKind.ROUND_TABLE == "round_table"
    assert EventKind("round_table") is EventKind.ROUND_TABLE
    assert f"{EventKind.ROUND_TABLE}" == "round_table"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_labels_follow_the_readers_language(app):
    with app.app_context():
        with force_locale("en"):
            assert str(EventKind.ROUND_TABLE.label) == "Round table"
        with force_locale("es"):
            assert str(EventKind.ROUND_TABLE.label) == "Mesa redonda"


def test_choices_list_the_members_in_declaration_order():
    choices = EventKind.choices()
    assert [choice.value for choice in choices] == [kind.value for kind in EventKind]
    assert [choice.label for choice in choices] == [kind.label for kind in EventKind]
    assert choices == options((kind.value, kind.label) for kind in EventKind)


def test_get_answers_none_for_anything_but_a_stored_value():
    assert InvitationState.get("no_answer") is InvitationState.NO_ANSWER
    assert InvitationState.get("nonsense") is None
    assert InvitationState.get(None) is None
