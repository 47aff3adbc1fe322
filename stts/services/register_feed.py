"""The National Register feed: address changes and deaths (see docs/register-feed.md).

A UTF-8 CSV file with a header line ``event_id,kind,national_number,date,street,postcode,city``.
Each line is applied in its own transaction and remembered by its ``event_id``
(``RegisterEvent``), so importing the same file twice changes nothing the second time. Bad
lines are reported with their line number and skipped; good lines are applied.

* ADDRESS: the beneficiary's address is updated (the dossier shows the beneficiary's
  address); the operator holding a live dossier gets the task "Address changed".
* DEATH: the beneficiary is marked deceased; a live dossier is ended (state ENDED, end reason
  DEATH, action DEATH) and its operator gets "Terminate reduction" and "Beneficiary deceased".
* A person who has no dossier at all is remembered as ``ignored``.

National register numbers never reach the audit trail or the job's result in clear.
"""
from __future__ import annotations

import csv
import io
import os
import secrets
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from peewee import IntegrityError

from stts.db import utcnow, write_transaction
from stts.i18n import lazy_gettext as _l
from stts.identifiers import InvalidIdentifier, clean_national_number
from stts.models import Beneficiary, DeskJob, Dossier, RegisterEvent
from stts.models.dossiers import LIVE_STATES
from stts.services import Conflict, ServiceError
from stts.services.audit import pseudonymize, record_event
from stts.services.dossiers.records import add_action, audit, save, snapshot
from stts.services.tasks import raise_task
from stts.worker import worker
from stts.worker.runner import LeaseLost, run_desk_job

# The reason of the actions the feed records: a code, shown in the reader's language
# (stts.labels.REASON_LABELS).
REGISTER_REASON = "NATIONAL_REGISTER"

KIND = "REGISTER_IMPORT"
COLUMNS = ("event_id", "kind", "national_number", "date", "street", "postcode", "city")
REQUIRED_COLUMNS = ("event_id", "kind", "national_number", "date")
KINDS = ("ADDRESS", "DEATH")
PROGRESS_EVERY = 100
MAX_REPORTED_ERRORS = 1000

# Error codes stored in the job's result; translated when shown (the job has no locale).
ERROR_MESSAGES = {
    "missing_columns": _l("The header line lacks columns: %(detail)s."),
    "missing_value": _l("Missing value: %(detail)s."),
    "too_long": _l("Value too long: %(detail)s."),
    "bad_kind": _l("Unknown kind %(detail)s (ADDRESS or DEATH)."),
    "bad_national_number": _l("Invalid national register number."),
    "bad_date": _l("The date must be YYYY-MM-DD."),
    "future_date": _l("The date is in the future."),
    "changed_meanwhile": _l("The dossier changed meanwhile; import the line again."),
    "not_utf8": _l("The file is not UTF-8 text."),
    "empty": _l("The file is empty."),
}


class LineError(ValueError):
    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code, self.detail = code, detail


@dataclass
class ImportReport:
    applied: int = 0
    address_changes: int = 0
    deaths: int = 0
    ignored: int = 0
    duplicates: int = 0
    errors: list = field(default_factory=list)  # [line, code, detail]
    error_count: int = 0

    def add_error(self, line: int, code: str, detail: str = "") -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append([line, code, detail])

    @classmethod
    def from_dict(cls, values: dict) -> ImportReport:
        return cls(**{name: values[name] for name in cls.__dataclass_fields__ if name in values})

    def as_dict(self) -> dict:
        return {"applied": self.applied, "address_changes": self.address_changes,
                "deaths": self.deaths, "ignored": self.ignored, "duplicates": self.duplicates,
                "errors": self.errors, "error_count": self.error_count}


def error_message(code: str, detail: str = "") -> str:
    message = ERROR_MESSAGES.get(code)
    return str(message) % {"detail": detail} if message is not None else code


# --- parsing ----------------------------------------------------------------------------------

def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(_l("The file is not UTF-8 text."), field="file") from None


def check_header(text: str) -> int:
    """Refuse a file without the required columns; returns the number of data lines."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ServiceError(_l("The file is empty."), field="file")
    names = {name.strip().lower() for name in header}
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ServiceError(_l("The header line lacks columns: %(detail)s.",
                              detail=", ".join(missing)), field="file")
    return sum(1 for row in reader if any(cell.strip() for cell in row))


def _value(row: dict, name: str, max_length: int, required: bool = True) -> str | None:
    value = (row.get(name) or "").strip()
    if required and not value:
        raise LineError("missing_value", name)
    if len(value) > max_length:
        raise LineError("too_long", name)
    return value or None


def parse_line(row: dict) -> dict:
    event_id = _value(row, "event_id", 64)
    kind = _value(row, "kind", 10).upper()
    if kind not in KINDS:
        raise LineError("bad_kind", kind[:20])
    try:
        nrn = clean_national_number(_value(row, "national_number", 20))
    except InvalidIdentifier:
        raise LineError("bad_national_number") from None
    try:
        when = date.fromisoformat(_value(row, "date", 10))
    except ValueError:
        raise LineError("bad_date") from None
    if when > date.today():
        raise LineError("future_date")
    values = {"event_id": event_id, "kind": kind, "national_number": nrn, "date": when}
    required = kind == "ADDRESS"
    for name, length in (("street", 200), ("postcode", 10), ("city", 100)):
        values[name] = _value(row, name, length, required=required)
    return values


# --- applying one event -------------------------------------------------------------------------

def _live_dossiers(beneficiary: Beneficiary) -> list[Dossier]:
    return list(Dossier.select(Dossier, Beneficiary).join(Beneficiary)
                .where((Dossier.beneficiary == beneficiary.id)
                       & Dossier.state.in_(LIVE_STATES)))


def _apply_address(event: dict, beneficiary: Beneficiary, report: ImportReport) -> None:
    new = {name: event[name] for name in ("street", "postcode", "city")}
    old = {name: getattr(beneficiary, name) for name in new}
    if new == old:
        return
    Beneficiary.update(**new).where(Beneficiary.id == beneficiary.id).execute()
    for dossier in _live_dossiers(beneficiary):
        add_action(dossier, None, "ADDRESS_CHANGE", dossier.state, before=old, after=new,
                    reason=REGISTER_REASON, company_id=None)
        raise_task("ADDRESS_CHANGED", dossier, dossier.company_id,
                   details={"customer_number": dossier.customer_number, **new})
        audit("register.address_changed", dossier, None, event_id=event["event_id"])
    report.address_changes += 1


def _apply_death(event: dict, beneficiary: Beneficiary, report: ImportReport) -> None:
    Beneficiary.update(deceased_on=event["date"]).where(Beneficiary.id == beneficiary.id).execute()
    for dossier in _live_dossiers(beneficiary):
        fields = ("state", "end_date", "end_reason")
        before = snapshot(dossier, fields)
        state_before = dossier.state
        end = max(event["date"], dossier.activation_date or event["date"])
        save(dossier, dossier.version, {"state": "ENDED", "end_date": end,
                                         "end_reason": "DEATH"})
        after = snapshot(dossier, fields)
        add_action(dossier, None, "DEATH", state_before, before=before, after=after,
                    reason=REGISTER_REASON, company_id=None)
        details = {"customer_number": dossier.customer_number,
                   "phone_number": dossier.phone_number, "reason": "DEATH"}
        raise_task("TERMINATE_REDUCTION", dossier, dossier.company_id, details=details)
        raise_task("BENEFICIARY_DECEASED", dossier, dossier.company_id, details=details)
        audit("register.death", dossier, None, event_id=event["event_id"], before=before,
               after=after)
    report.deaths += 1


def apply_event(event: dict, report: ImportReport) -> str:
    """Apply one parsed line in its own transaction: 'applied', 'ignored' or 'duplicate'."""
    person = pseudonymize(event["national_number"])
    try:
        with write_transaction():
            if RegisterEvent.select().where(RegisterEvent.event_id == event["event_id"]).exists():
                report.duplicates += 1
                return "duplicate"
            beneficiary = Beneficiary.get_or_none(
                Beneficiary.national_number == event["national_number"])
            RegisterEvent.create(event_id=event["event_id"], kind=event["kind"],
                                 national_number_hash=person[:40], applied_at=utcnow(),
                                 ignored=beneficiary is None)
            if beneficiary is None:
                report.ignored += 1
                return "ignored"
            if event["kind"] == "ADDRESS":
                _apply_address(event, beneficiary, report)
            else:
                _apply_death(event, beneficiary, report)
    except IntegrityError:  # the same event applied at the same moment by another import
        report.duplicates += 1
        return "duplicate"
    report.applied += 1
    return "applied"


def import_register(text: str, progress=None, *, actor=None) -> ImportReport:
    """Import the whole file. Within a job, ``progress`` (``stts.worker.runner.Progress``)
    records the report every ``PROGRESS_EVERY`` lines and where a resumed run starts."""
    report = ImportReport.from_dict(progress.result) if progress and progress.position else \
        ImportReport()
    start = progress.position if progress is not None else 0
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in reader.fieldnames]
    if missing:
        report.add_error(1, "missing_columns", ", ".join(missing))
        return report
    done = 0
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        done += 1
        if done <= start:
            continue  # applied by the run this one resumes
        try:
            apply_event(parse_line(row), report)
        except LineError as error:
            report.add_error(reader.line_num, error.code, error.detail)
        except Conflict:
            report.add_error(reader.line_num, "changed_meanwhile")
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress.save(done=done, position=done, result=report.as_dict())
    if progress is not None:
        progress.save(done=done, position=done, result=report.as_dict())
    record_event("register.imported", actor=actor, object_type="desk_job",
                 object_id=progress.job.id if progress is not None else None,
                 **{k: v for k, v in report.as_dict().items() if k != "errors"})
    return report


# --- the background job -------------------------------------------------------------------------

def start_register_import(user, raw: bytes) -> DeskJob:
    """Check the upload (encoding, header), keep it in the instance folder as the job's
    input, create the job and queue it. The file is deleted when the job ends."""
    text = decode(raw)
    total = check_header(text)
    name = store_input(raw)
    job = DeskJob.create(kind=KIND, state="QUEUED", total=total, started_by=user.id,
                         created_at=utcnow(), input_name=name)
    record_event("register.import_started", actor=user, object_type="desk_job",
                 object_id=job.id, lines=total, size=len(raw))
    worker.enqueue("desk_job.run", job.id)
    return job


def store_input(raw: bytes) -> str:
    """Write a job's input to a new random file of the instance's ``jobs`` folder."""
    name = secrets.token_hex(16) + ".csv"
    fd = os.open(_input_path(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
    return name


def _input_path(name: str) -> str:
    folder = os.path.join(current_app.instance_path, "jobs")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return os.path.join(folder, os.path.basename(name))


def run_register_import(job_id: int) -> DeskJob:
    """Run (or resume) the job; returns it as it stands."""
    return run_desk_job(job_id, _import_input) or DeskJob.get_by_id(job_id)


def _import_input(job: DeskJob, progress) -> dict:
    path = _input_path(job.input_name)
    with open(path, "rb") as handle:
        text = decode(handle.read())
    try:
        report = import_register(text, progress)
    except LeaseLost:
        raise  # another worker continues with the file
    except BaseException:
        os.unlink(path)
        raise
    os.unlink(path)
    return report.as_dict()
