"""Demo data: three operators with their local manager and one user per STTS profile,
plus the institution's accounts. Idempotent: running it twice changes nothing."""
from __future__ import annotations

from datetime import date

from stts.db import database
from stts.demo_dossiers import seed_dossiers
from stts.identifiers import national_number
from stts.models import (
    Application,
    Company,
    InstitutionRole,
    User,
    UserApplication,
    UserProfile,
)
from stts.passwords import hash_password
from stts.text import search_key

DEMO_PASSWORD = "Brussels tram 81 at dawn"

OPERATORS = [
    # enterprise number, ONSS number, name, slug, the language its people work in
    ("0403019261", "012345674", "Telco Alpha", "alpha", "fr"),
    ("0428759497", "123456749", "Belcom Beta", "beta", "nl"),
    ("0812345603", None, "Gamma Mobile", "gamma", "de"),
]
# The institution's name is the same in every language (its two acronyms).
INSTITUTION = ("0765432146", None, "IBPT – BIPT", "bipt")
# Demo people have real names (last names of each operator's local manager and three users).
LAST_NAMES = {"alpha": ("Lambert", "Vandamme", "Vanderstraeten", "Vandenberghe"),
              "beta": ("Peeters", "Janssens", "Maes", "Wouters"),
              "gamma": ("Schmitz", "Kessler", "Lentz", "Heinen"),
              "bipt": ("Claes", "Dewulf", "Mertens")}
# Addresses the application's own validator accepts (``.invalid`` is refused).
MAIL_DOMAIN = "example.com"


def company_slug(company) -> str:
    """The demo slug of a company (alpha, beta, gamma, bipt), for its demo e-mail addresses."""
    for enterprise, _onss, _name, slug, *_rest in (*OPERATORS, INSTITUTION):
        if enterprise == company.enterprise_number:
            return slug
    return "demo"


def _user(company, username, first, last, nrn, *, profile=None, apps=(), manager=False,
          roles=(), language="fr", password_hash):
    user = User.get_or_none(User.username == username)
    if user is None:
        user = User.create(
            company=company, username=username, first_name=first, last_name=last,
            first_name_key=search_key(first), last_name_key=search_key(last),
            national_number=nrn, email=f"{username}@{company_slug(company)}.{MAIL_DOMAIN}",
            language=language,
            password_hash=password_hash, is_local_manager=manager,
        )
    app_ids = {a.code: a.id for a in Application.select()}
    for code in apps:
        UserApplication.get_or_create(user=user, application=app_ids[code])
    if profile:
        UserProfile.insert(user=user, profile=profile).on_conflict_ignore().execute()
    for role in roles:
        InstitutionRole.get_or_create(user=user, role=role)
    return user


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo data; returns (username, what, company) rows for the login list."""
    logins = []
    password_hash = hash_password(DEMO_PASSWORD)
    first_names = ["Anne", "Luc", "Sofie", "Marc", "Inge", "Karim", "Elke", "Jean"]
    with database.atomic():
        for index, (enterprise, onss, name, slug, language) in enumerate(OPERATORS):
            company, _ = Company.get_or_create(
                enterprise_number=enterprise,
                defaults={"onss_number": onss, "name": name, "is_operator": True,
                          "email": f"info@{slug}.{MAIL_DOMAIN}",
                          # Telco Alpha sends structured messages in the demo.
                          "xml_enabled": slug == "alpha",
                          "xml_result_email": f"xml@{slug}.{MAIL_DOMAIN}"},
            )
            serial = 100 + index * 10
            born = date(1970 + index * 5, 3 + index, 10 + index)
            _user(company, f"lm.{slug}", first_names[index], LAST_NAMES[slug][0],
                  national_number(born, serial), manager=True, language=language,
                  password_hash=password_hash)
            logins.append((f"lm.{slug}", "local manager", name))
            for offset, profile in enumerate(("STTS1", "STTS2", "STTS3"), start=1):
                username = f"{profile.lower()}.{slug}"
                _user(company, username, first_names[(index + offset) % 8],
                      LAST_NAMES[slug][offset], national_number(born, serial + offset),
                      profile=profile, apps=("STTS_WEB",), language=language,
                      password_hash=password_hash)
                logins.append((username, profile, name))
        enterprise, onss, name, slug = INSTITUTION
        institution, _ = Company.get_or_create(
            enterprise_number=enterprise,
            defaults={"name": name, "is_operator": False, "email": f"sts@bipt.{MAIL_DOMAIN}"},
        )
        for offset, (username, role) in enumerate(
            (("agent.bipt", "ACCESS_AGENT"), ("handler.bipt", "CASE_HANDLER"),
             ("auditor.bipt", "AUDITOR")), start=1):
            _user(institution, username, first_names[offset], LAST_NAMES[slug][offset - 1],
                  national_number(date(1980, 1, 1), 200 + offset), roles=(role,),
                  password_hash=password_hash)
            logins.append((username, role, name))
    seed_dossiers({slug: enterprise for enterprise, _onss, _name, slug, _lang in OPERATORS})
    return logins
