"""The attribute writer every WTForms widget uses after ``install()`` writes the markup
WTForms' own ``html_params`` writes, byte for byte, for any attribute set."""
import importlib.util

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms import Form, SelectField, StringField, widgets
from wtforms.widgets import core

from stts import html_attributes


def _wtforms_own_html_params():
    """WTForms' function, read from its source file: ``install()`` replaces the name in
    its module."""
    spec = importlib.util.spec_from_file_location("wtforms_widgets_reference", core.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.html_params


REFERENCE = _wtforms_own_html_params()
NAMES = st.one_of(
    st.sampled_from(["id", "name", "class_", "for_", "data_hx_get", "aria_describedby",
                     "hx-get", "required", "selected", "value", "type"]),
    st.text(alphabet="abcdefghij_-<>&\"'", min_size=1, max_size=8))
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
VALUES = st.one_of(st.booleans(), TEXT, TEXT.map(Markup), st.integers(),
                   st.sampled_from(['a "quoted" word', Markup('say "hi" <b>'), "&amp;"]))


@settings(max_examples=400, deadline=None)
@given(attributes=st.dictionaries(NAMES, VALUES, max_size=6))
def test_the_same_markup_as_wtforms_for_any_attributes(attributes):
    written = html_attributes.html_params(**attributes)
    assert written == REFERENCE(**attributes)
    assert isinstance(written, Markup)


def test_every_widget_and_label_writes_through_it(app):
    """After the app is made, WTForms' widgets and labels use the fast writer, and a form
    renders as WTForms renders it."""
    assert core.html_params is html_attributes.html_params
    assert widgets.html_params is html_attributes.html_params
    assert core.Input.html_params is html_attributes.html_params

    class Sample(Form):
        kind = SelectField("Kind", choices=[("a", "A & co"), ("b", 'B "bee"')])
        name = StringField("Name")

    form = Sample(data={"kind": "b", "name": 'x" onmouseover="y'})
    select = str(form.kind(**{"hx-get": "/x?a=1&b=2", "data_role": "pick"}))
    assert select == ('<select data-role="pick" hx-get="/x?a=1&amp;b=2" id="kind" name="kind">'
                      '<option value="a">A &amp; co</option>'
                      '<option selected value="b">B &#34;bee&#34;</option></select>')
    assert str(form.name()) == ('<input id="name" name="name" type="text" '
                                'value="x&#34; onmouseover=&#34;y">')
    assert str(form.name.label()) == '<label for="name">Name</label>'
