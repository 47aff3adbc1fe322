"""Log in and out, the own password, the first login, the language.

Importing the package registers its views on ``bp``.
"""
from stts.blueprints.auth import first_login, views  # noqa: F401 (the views)
from stts.blueprints.auth.blueprint import bp  # noqa: F401
