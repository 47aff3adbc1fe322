"""All models, in dependency order (the migration generator reads ALL_MODELS)."""
from stts.models.accounts import (  # noqa: F401
    APPLICATIONS,
    INSTITUTION_ROLES,
    PROFILES,
    Application,
    InstitutionRole,
    LoginSession,
    LoginThrottle,
    User,
    UserApplication,
    UserProfile,
)
from stts.models.audit import AuditEvent
from stts.models.console import RetiredUsername, TechnicalAccount
from stts.models.dossiers import (  # noqa: E501
    Beneficiary,
    DeskJob,
    Dossier,
    DossierAction,
    EligibilityRecord,
    RegisterEvent,
    Task,
)
from stts.models.org import COMPANY_CATEGORIES, Company  # noqa: F401
from stts.models.outbox import OutboundMail
from stts.models.portal import AccessRequest, AccessRequestDraft
from stts.models.statistics import StatMonth, StatRefresh
from stts.models.xml import XmlBatch, XmlMessageResult

ALL_MODELS = [
    Company,
    User,
    LoginSession,
    LoginThrottle,
    Application,
    UserApplication,
    UserProfile,
    InstitutionRole,
    AuditEvent,
    OutboundMail,
    TechnicalAccount, RetiredUsername,
    AccessRequestDraft, AccessRequest,
    EligibilityRecord, Beneficiary, Dossier, DossierAction, Task, DeskJob, RegisterEvent,
    XmlBatch, XmlMessageResult,
    StatMonth, StatRefresh,
]
