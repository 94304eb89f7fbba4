import pytest
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.widgets import Select

from eventhub.forms import DirectorySelect, optional_int, options

CHOICES = [
    (None, _l("Not in the list / none")),
    (1, 'Municipalidad de "Lo Prado" <Sur> & Cía'),
    (2, "Ñuñoa"),
    (3, ""),
    (4, "O'Higgins"),
]


@pytest.mark.parametrize("submitted", [None, "2", "", "1", "junk"])
def test_directory_select_writes_what_wtforms_writes(app, submitted):
    class Form(FlaskForm):
        ours = SelectField("Org", coerce=optional_int, widget=DirectorySelect())
        theirs = SelectField("Org", coerce=optional_int, widget=Select())

    data = {} if submitted is None else {"ours": submitted, "theirs": submitted}
    with app.test_request_context(method="POST", data=data):
        form = Form(meta={"csrf": False})
        form.ours.choices = form.theirs.choices = options(CHOICES)
        for extra in ({}, {"class_": "wide", "aria-describedby": "x-hint"}):
            ours = str(form.ours(**extra)).replace('name="ours"', "").replace('"ours"', '"f"')
            theirs = str(form.theirs(**extra)).replace('name="theirs"', "")
            assert ours == theirs.replace('"theirs"', '"f"')
        assert str(form.ours()).count("<option") == len(CHOICES)
