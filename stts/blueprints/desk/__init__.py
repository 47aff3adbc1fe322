"""The dossier desk: request, transfer, modify, cease, search, cancel, tasks, XML batches.

Importing the package registers its views on ``bp``.
"""
from stts.blueprints.desk import actions, requesting, tasks, views, xml  # noqa: F401 (the views)
from stts.blueprints.desk.blueprint import bp  # noqa: F401
