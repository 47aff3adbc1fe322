"""The public portal: the access request that designates a local manager, its follow-up.

Importing the package registers its views on ``bp``.
"""
from stts.blueprints.portal import views  # noqa: F401 (the views)
from stts.blueprints.portal.blueprint import bp  # noqa: F401
