"""The dossier desk: eligibility snapshot, beneficiaries, dossiers, their actions and tasks."""
from peewee import (
    SQL,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from stts.db import BaseModel, utcnow
from stts.models.accounts import User
from stts.models.org import Company

CATEGORIES = ("AGE65", "DISABLED66", "INTEGRATION_INCOME", "HEARING_LOSS", "LARYNGECTOMY",
              "WAR_BLIND")
SERVICES = ("FIXED", "MOBILE", "INTERNET")
STATES = ("INCOMPLETE", "SUBMITTED", "REVIEW", "APPROVED", "ACTIVE", "REJECTED", "CLOSED",
          "ENDED", "CANCELLED")
# A person or household has at most one dossier in these states, across all operators.
LIVE_STATES = ("INCOMPLETE", "SUBMITTED", "REVIEW", "APPROVED", "ACTIVE")
# What the desk may still modify, and what may be ceased.
MODIFIABLE_STATES = LIVE_STATES
CEASABLE_STATES = ("APPROVED", "ACTIVE")
# The live states as an SQL literal, for partial indexes and hand-written statements.
LIVE_STATES_SQL = ", ".join(f"'{state}'" for state in LIVE_STATES)
TASK_TYPES = ("ENTER_MISSING_DATA", "CLOSE_FILE", "TERMINATE_REDUCTION", "ADDRESS_CHANGED",
              "BENEFICIARY_DECEASED", "TRANSFERRED_AWAY", "DECISION_TAKEN")
CEASE_REASONS = ("CUSTOMER_REQUEST", "END_OF_CONTRACT", "NOT_ELIGIBLE", "DEATH", "MOVED", "OTHER")
ACTION_TYPES = ("REQUEST", "COMPLETE", "MODIFY", "TRANSFER", "ACTIVATE", "CEASE", "CANCEL",
                "APPROVE", "REJECT", "ASK_DOCUMENTS", "CLOSE", "ADDRESS_CHANGE", "DEATH",
                "YEARLY_CHECK")


class EligibilityRecord(BaseModel):
    """The snapshot of the eligibility source (stands in for the Crossroads Bank)."""

    national_number = CharField(max_length=11, index=True)
    category = CharField(max_length=20)
    valid_from = DateField()
    valid_to = DateField(null=True)
    household_id = CharField(max_length=32, index=True)
    last_name = CharField(max_length=100, null=True)
    first_name = CharField(max_length=100, null=True)
    street = CharField(max_length=200, null=True)
    postcode = CharField(max_length=10, null=True)
    city = CharField(max_length=100, null=True)


class Beneficiary(BaseModel):
    national_number = CharField(max_length=11, unique=True)
    last_name = CharField(max_length=100)
    first_name = CharField(max_length=100)
    last_name_key = CharField(max_length=100)
    first_name_key = CharField(max_length=100)
    birth_date = DateField(null=True)
    street = CharField(max_length=200, null=True)
    postcode = CharField(max_length=10, null=True)
    city = CharField(max_length=100, null=True)
    household_id = CharField(max_length=32, null=True, index=True)
    deceased_on = DateField(null=True)

    class Meta:
        indexes = ((("last_name_key", "first_name_key"), False),)


class Dossier(BaseModel):
    beneficiary = ForeignKeyField(Beneficiary, backref="dossiers", on_delete="RESTRICT")
    company = ForeignKeyField(Company, backref="dossiers", on_delete="RESTRICT")
    # "H:<household id>" or "P:<national number>": one live dossier per key (unique index).
    household_key = CharField(max_length=40)
    category = CharField(max_length=20)
    service = CharField(max_length=10, null=True)
    phone_number = CharField(max_length=16, null=True)
    customer_number = CharField(max_length=40, null=True)
    tariff_formula = CharField(max_length=100, null=True)
    installation_costs = DecimalField(max_digits=8, decimal_places=2, null=True)
    activation_date = DateField(null=True)
    invoice_date = DateField(null=True)
    state = CharField(max_length=12)
    decision_date = DateField(null=True)
    decision_reason = CharField(max_length=300, null=True)
    documents_due = DateField(null=True)
    end_date = DateField(null=True)
    end_reason = CharField(max_length=30, null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    version = IntegerField(default=1)
    # The beneficiary's folded last and first names, kept by database triggers (migrations
    # 0007 and 0020): a name search reads one range of the name index, already in its order.
    last_name_key = CharField(max_length=100, null=True)
    first_name_key = CharField(max_length=100, null=True)

    class Meta:
        indexes = (
            (("household_key",), False),
            # The search's three covering indexes (migration 0020, which names them): each
            # ends with every column a filter may test, so any combination is filtered
            # inside the index, in its order.
            (("company", "state", "created_at", "id", "category", "activation_date"), False),
            (("company", "created_at", "id", "state", "category", "activation_date"), False),
            (("company", "last_name_key", "created_at", "id", "first_name_key", "state",
              "category", "activation_date"), False),
            (("company", "phone_number"), False),
            (("company", "customer_number"), False),
            # The indexes of the filters that may match few (migration 0021 names them).
            (("company", "category", "activation_date", "state", "created_at", "id"), False),
            (("company", "activation_date", "category", "state", "created_at", "id"), False),
            (("state", "created_at", "id"), False),
        )


Dossier.add_index(
    Dossier.index(Dossier.household_key, unique=True, name="dossier_one_live_per_household")
    .where(SQL(f"state IN ({LIVE_STATES_SQL})"))
)


class DossierAction(BaseModel):
    dossier = ForeignKeyField(Dossier, backref="actions", on_delete="CASCADE")
    # The operator on whose behalf the action was taken; NULL for the regulator or the system.
    company = ForeignKeyField(Company, null=True, on_delete="RESTRICT")
    type = CharField(max_length=20)
    author = ForeignKeyField(User, null=True, on_delete="SET NULL")
    author_name = CharField(max_length=120)
    at = DateTimeField(default=utcnow)
    state_before = CharField(max_length=12, null=True)
    state_after = CharField(max_length=12)
    before = TextField(default="{}")  # JSON of the changed fields
    after = TextField(default="{}")
    reason = TextField(null=True)
    cancelled_by = ForeignKeyField("self", null=True, backref="cancellations",
                                   on_delete="SET NULL")

    class Meta:
        indexes = ((("dossier", "at"), False), (("author", "at"), False))


class Task(BaseModel):
    type = CharField(max_length=24)
    dossier = ForeignKeyField(Dossier, backref="tasks", on_delete="CASCADE")
    company = ForeignKeyField(Company, backref="tasks", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    due_date = DateField()
    state = CharField(max_length=10, default="OPEN")
    processed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    processed_at = DateTimeField(null=True)
    note = TextField(null=True)
    # The operator's own data about the customer at the time (e.g. after a transfer away,
    # the old customer number), JSON; never another operator's data.
    details = TextField(default="{}")

    class Meta:
        indexes = (
            (("company", "state", "due_date", "id"), False),
            (("company", "state", "type", "due_date"), False),
            # The inbox with done tasks included, with or without a type (migration 0024).
            (("company", "due_date", "id"), False),
            (("company", "type", "due_date", "id"), False),
        )


class DeskJob(BaseModel):
    """A background job with visible progress (the yearly check, Register imports); its
    lifecycle (lease, progress, resume) is ``stts.worker.runner``'s."""

    kind = CharField(max_length=20)
    state = CharField(max_length=10, default="QUEUED")
    total = IntegerField(default=0)
    done = IntegerField(default=0)
    result = TextField(default="{}")
    started_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow, null=True)
    # Where a resumed run starts again (a line number, the last dossier id...), committed
    # together with the progress it stands for.
    position = BigIntegerField(default=0)
    input_name = CharField(max_length=64, null=True)  # the job's input file in the instance
    lease_token = CharField(max_length=32, null=True)
    lease_until = DateTimeField(null=True)

    class Meta:
        indexes = ((("state", "updated_at"), False),)


class RegisterEvent(BaseModel):
    """National Register events already applied (idempotency by event id)."""

    event_id = CharField(max_length=64, unique=True)
    kind = CharField(max_length=10)
    national_number_hash = CharField(max_length=40)
    applied_at = DateTimeField(default=utcnow)
    ignored = BooleanField(default=False)
