"""All models, in dependency order (the migration generator reads ALL_MODELS)."""
from stts.models.accounts import (  # noqa: F401
    APPLICATIONS,
    INSTITUTION_ROLES,
    PROFILES,
    Application,
    InstitutionRole,
    LoginSession,
    User,
    UserApplication,
    UserProfile,
)
from stts.models.audit import AuditEvent
from stts.models.org import COMPANY_CATEGORIES, Company  # noqa: F401
from stts.models.outbox import OutboundMail

ALL_MODELS = [
    Company,
    User,
    LoginSession,
    Application,
    UserApplication,
    UserProfile,
    InstitutionRole,
    AuditEvent,
    OutboundMail,
]
