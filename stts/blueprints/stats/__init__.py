"""Statistics: the operator's dashboard, one's own work, the regulator's market view and
its yearly report (page, print, CSV).

Importing the package registers its views on ``bp``.
"""
from stts.blueprints.stats import views  # noqa: F401 (the views)
from stts.blueprints.stats.blueprint import bp  # noqa: F401
