"""Companies: operators, and the institutions that run STTS."""
from peewee import BooleanField, CharField, DateTimeField, IntegerField

from stts.db import BaseModel, utcnow

COMPANY_CATEGORIES = ("no_staff", "onss_employer", "service_provider")


class Company(BaseModel):
    enterprise_number = CharField(max_length=10, unique=True)
    onss_number = CharField(max_length=9, null=True, unique=True)
    name = CharField(max_length=200)
    category = CharField(max_length=20, default="onss_employer")
    email = CharField(max_length=254, null=True)
    is_operator = BooleanField(default=True)
    xml_enabled = BooleanField(default=False)
    xml_result_email = CharField(max_length=254, null=True)
    created_at = DateTimeField(default=utcnow)
    version = IntegerField(default=1)
