"""The National Register feed service without HTTP: parsing, idempotency, death of a dossier
that is not yet active, progress of the job."""
from datetime import date, timedelta

import pytest

from stts.demo_dossiers import DEMO, person
from stts.models import Beneficiary, DeskJob, Dossier, RegisterEvent, Task
from stts.services import register_feed as feed

HEADER = "event_id,kind,national_number,date,street,postcode,city\n"
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def test_parse_line_cleans_values():
    values = feed.parse_line({"event_id": " A1 ", "kind": "address",
                              "national_number": "85.07.30-033.28", "date": "2024-05-01",
                              "street": "Rue X 1", "postcode": "1000", "city": "Bruxelles"})
    assert values["kind"] == "ADDRESS" and values["national_number"] == "85073003328"
    assert values["event_id"] == "A1" and values["date"] == date(2024, 5, 1)


@pytest.mark.parametrize("row,code", [
    ({"event_id": "", "kind": "DEATH", "national_number": "85073003328", "date": "2024-01-01"},
     "missing_value"),
    ({"event_id": "x" * 65, "kind": "DEATH", "national_number": "85073003328",
      "date": "2024-01-01"}, "too_long"),
    ({"event_id": "1", "kind": "BIRTH", "national_number": "85073003328", "date": "2024-01-01"},
     "bad_kind"),
    ({"event_id": "1", "kind": "DEATH", "national_number": "8507300332", "date": "2024-01-01"},
     "bad_national_number"),
    ({"event_id": "1", "kind": "DEATH", "national_number": "85073003328", "date": "2024-13-01"},
     "bad_date"),
    ({"event_id": "1", "kind": "ADDRESS", "national_number": "85073003328", "date": "2024-01-01",
      "street": "Rue", "postcode": "", "city": "X"}, "missing_value"),
])
def test_parse_line_refuses(row, code):
    with pytest.raises(feed.LineError) as error:
        feed.parse_line(row)
    assert error.value.code == code


def test_import_is_idempotent_by_event_id(app):
    text = HEADER + f"X-1,DEATH,{DEMO['active_gamma']},{YESTERDAY},,,\n"
    first = feed.import_register(text)
    second = feed.import_register(text)
    assert (first.applied, first.deaths) == (1, 1)
    assert (second.applied, second.duplicates) == (0, 1)
    dossier = Dossier.select().join(Beneficiary).where(
        Beneficiary.national_number == DEMO["active_gamma"]).get()
    assert Task.select().where((Task.dossier == dossier.id)
                               & (Task.type == "BENEFICIARY_DECEASED")).count() == 1
    stored = RegisterEvent.get(RegisterEvent.event_id == "X-1")
    assert DEMO["active_gamma"] not in stored.national_number_hash


def test_death_ends_a_dossier_under_review_too(app):
    text = HEADER + f"X-2,DEATH,{DEMO['review_alpha']},{YESTERDAY},,,\n"
    feed.import_register(text)
    dossier = Dossier.select().join(Beneficiary).where(
        Beneficiary.national_number == DEMO["review_alpha"]).get()
    assert dossier.state == "ENDED" and dossier.end_reason == "DEATH"


def test_same_address_raises_no_task(app):
    b = Beneficiary.get(Beneficiary.national_number == DEMO["active_alpha"])
    text = HEADER + f"X-3,ADDRESS,{b.national_number},{YESTERDAY},{b.street},{b.postcode},{b.city}\n"
    report = feed.import_register(text)
    assert report.applied == 1 and report.address_changes == 0
    assert not Task.select().where(Task.type == "ADDRESS_CHANGED").exists()


def test_job_progress_and_result(app, monkeypatch):
    monkeypatch.setattr(feed, "PROGRESS_EVERY", 2)
    lines = "".join(f"P-{n},ADDRESS,{person(n)},{YESTERDAY},Rue {n},1000,Bruxelles\n"
                    for n in range(100, 105))
    job = DeskJob.create(kind=feed.KIND, state="QUEUED", total=5,
                         input_name=feed.store_input((HEADER + lines).encode()))
    job = feed.run_register_import(job.id)
    assert job.state == "DONE" and job.done == 5 and job.finished_at is not None
    assert '"address_changes": 5' in job.result


def test_blank_lines_are_skipped_and_line_numbers_stay_true(app):
    text = HEADER + "\n" + f"Y-1,DEATH,{DEMO['active_gamma']},not-a-date,,,\n"
    report = feed.import_register(text)
    assert report.errors == [[3, "bad_date", ""]]
