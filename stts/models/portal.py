"""Access requests: designating a company's local manager (portal wizard + back-office)."""
from peewee import BooleanField, CharField, DateTimeField, IntegerField, TextField

from stts.db import BaseModel, utcnow

AR_AWAITING = "awaiting_original"
AR_RECEIVED = "original_received"
AR_APPROVED = "approved"
AR_REFUSED = "refused"
AR_STATUSES = (AR_AWAITING, AR_RECEIVED, AR_APPROVED, AR_REFUSED)
AR_OPEN = (AR_AWAITING, AR_RECEIVED)
MANAGER_QUALITIES = ("worker", "director", "manager", "partner")
SIGNER_QUALITIES = ("director", "manager", "partner")


class AccessRequestDraft(BaseModel):
    """The wizard's work in progress, keyed by a random id kept in the Flask session."""

    key = CharField(max_length=64, primary_key=True)
    data = TextField(default="{}")  # JSON: what was typed, per step
    step = CharField(max_length=20, default="category")  # furthest step reached
    gazette_file = CharField(max_length=64, null=True)  # random name under instance/uploads
    gazette_bytes = IntegerField(default=0)  # its size, for the portal's upload quota
    address = CharField(max_length=64, null=True)  # the client address that started it
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow, index=True)


class AccessRequest(BaseModel):
    ticket = CharField(max_length=24, unique=True)
    status = CharField(max_length=20, default=AR_AWAITING)
    category = CharField(max_length=20)
    enterprise_number = CharField(max_length=10, index=True)
    onss_number = CharField(max_length=9, null=True)
    company_name = CharField(max_length=200)
    company_id = IntegerField(null=True)  # the company once known (no FK: request history stays)
    manager_last_name = CharField(max_length=100)
    manager_first_name = CharField(max_length=100)
    manager_national_number = CharField(max_length=11)
    manager_quality = CharField(max_length=20)
    manager_email = CharField(max_length=254)
    manager_phone = CharField(max_length=20)
    manager_language = CharField(max_length=2, default="fr")
    signer_last_name = CharField(max_length=100)
    signer_first_name = CharField(max_length=100)
    signer_national_number = CharField(max_length=11)
    signer_quality = CharField(max_length=20)
    signer_email = CharField(max_length=254)
    signer_phone = CharField(max_length=20)
    signer_active = BooleanField(default=True)
    gazette_file = CharField(max_length=64, null=True)
    gazette_received = BooleanField(default=False)
    replace_manager = BooleanField(default=False)
    submitted_at = DateTimeField(default=utcnow)
    original_received_at = DateTimeField(null=True)
    due_at = DateTimeField(null=True)  # 5 days after the original arrived
    decided_at = DateTimeField(null=True)
    decided_by_id = IntegerField(null=True)
    refusal_reason = TextField(null=True)
    manager_user_id = IntegerField(null=True)  # the local manager's account, once approved
    previous_manager_id = IntegerField(null=True)  # who lost the rights on replacement
    version = IntegerField(default=1)

    class Meta:
        indexes = (
            (("status", "submitted_at"), False),
            (("status", "due_at"), False),
        )

    @property
    def is_open(self) -> bool:
        return self.status in AR_OPEN

    @property
    def is_overdue(self) -> bool:
        return self.status == AR_RECEIVED and self.due_at is not None and self.due_at < utcnow()

    @property
    def gazette_required(self) -> bool:
        return not self.signer_active

