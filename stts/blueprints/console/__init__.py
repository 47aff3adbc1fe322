"""The local manager's console: own data, the company's users, structured-message settings,
activity.

Importing the package registers its views on ``bp``.
"""
from stts.blueprints.console import activity, users, views, xml  # noqa: F401 (the views)
from stts.blueprints.console.blueprint import bp  # noqa: F401
