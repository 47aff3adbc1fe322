"""The monthly summary of the dossier history that the dashboards read (rebuilt from the
history by ``stts.services.statistics.summary``; never edited by hand)."""
from peewee import CharField, DateField, DateTimeField, IntegerField

from stts.db import BaseModel

MARKET = 0  # the ``company`` of the rows that add up every operator


class StatMonth(BaseModel):
    """One figure of one month: ``measure`` STATE (dossiers in state ``key`` at the end of
    the month), FLOW (events of kind ``key`` during the month), WAIT (review decisions taken
    ``key`` days after the file entered review), TASK_OPEN / TASK_LATE (open / overdue tasks
    of type ``key`` at the end of the month), CORRECTED (actions recorded in month ``key``
    that changed this month's figures after it had ended)."""

    month = DateField()  # the first day of the month
    company = IntegerField()  # the operator, or MARKET
    category = CharField(max_length=20)
    service = CharField(max_length=10)  # "" when the dossier has no service yet
    measure = CharField(max_length=10)
    key = CharField(max_length=40)
    value = IntegerField()

    class Meta:
        table_name = "stat_month"
        indexes = (
            (("company", "measure", "month", "category", "service", "key"), True),
        )


class StatRefresh(BaseModel):
    """When the summary was last rebuilt, and from how much history (one row)."""

    refreshed_at = DateTimeField()
    last_action_id = IntegerField(default=0)
    dossiers = IntegerField(default=0)
    actions = IntegerField(default=0)
    seconds = IntegerField(default=0)

    class Meta:
        table_name = "stat_refresh"
