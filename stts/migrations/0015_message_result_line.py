"""Each message's result keeps the line where the message starts in its batch file, so a
refusal on the batch page points at the element to correct."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("xml_message_result", "line", IntegerField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("xml_message_result", "line"))
