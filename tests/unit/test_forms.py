"""The forms as declared: what every request that builds one pays for."""
import importlib
import pkgutil

import stts.blueprints
from stts.forms import Form


def _all_forms():
    for module in pkgutil.walk_packages(stts.blueprints.__path__, "stts.blueprints."):
        importlib.import_module(module.name)
    found, todo = set(), [Form]
    while todo:
        for subclass in todo.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                todo.append(subclass)
    return found


def test_no_select_takes_its_choices_from_a_callable():
    """Choices are lists of lazy labels (translated when shown). WTForms calls a callable
    and inspects its signature each time a field is validated or rendered, on every request
    that builds the form; choices that depend on the request are set by the view."""
    forms = _all_forms()
    assert len(forms) > 20
    callables = [f"{form.__module__}.{form.__name__}.{name}"
                 for form in forms for name in dir(form)
                 if callable(getattr(getattr(form, name), "kwargs", {}).get("choices"))]
    assert callables == []
