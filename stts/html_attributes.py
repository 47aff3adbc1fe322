"""WTForms writes every field's attributes through ``html_params``, which formats each
attribute through ``Markup.format``: about 30 µs a call, and a page's forms call it dozens of
times (once for every option of a select: the task inbox's three filters cost 1.3 ms).
``install()`` puts in its place a function that writes the same markup, byte for byte
(tests/unit/test_html_attributes.py compares the two on many random attribute sets)."""
from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.widgets import core

_QUOTE = '"'


def html_params(**attributes) -> Markup:
    """``wtforms.widgets.html_params``: the attributes sorted by name, ``True`` written bare,
    ``False`` left out, names and values escaped (a quote in a safe value too)."""
    written = []
    for name, value in sorted(attributes.items()):
        if value is False:
            continue
        name = escape(core.clean_key(name))
        if value is True:
            written.append(str(name))
        else:
            written.append(f'{name}="{str(escape(value)).replace(_QUOTE, "&quot;")}"')
    return Markup(" ".join(written))  # noqa: S704 # nosec B704 (every part escaped above)


def install() -> None:
    """Every WTForms widget (and label) writes its attributes with ``html_params`` above."""
    core.html_params = widgets.html_params = html_params
    core.Input.html_params = staticmethod(html_params)
    core.Button.html_params = staticmethod(html_params)
