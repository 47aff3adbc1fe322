"""The eligibility interface, the snapshot source and its CSV import (service and CLI)."""
from datetime import date

from stts.demo_dossiers import DEMO
from stts.eligibility import (
    Eligibility,
    EligibilitySource,
    SnapshotSource,
    get_source,
    import_snapshot_text,
)
from stts.models import AuditEvent, EligibilityRecord

HEADER = "national_number,category,valid_from,valid_to,household_id,last_name,first_name\n"


class FixedSource:
    def check(self, national_number, on):
        return Eligibility(known=True, eligible=True, category="WAR_BLIND", household_id="X")


def test_snapshot_source_answers_every_situation(app):
    source = get_source()
    assert isinstance(source, SnapshotSource) and isinstance(source, EligibilitySource)
    today = date.today()
    eligible = source.check(DEMO["eligible"], today)
    assert eligible.known and eligible.eligible and eligible.household_id
    assert not source.check(DEMO["unknown"], today).known
    expired = source.check(DEMO["expired"], today)
    assert expired.known and not expired.eligible
    assert source.check(DEMO["expired"], date(2018, 1, 1)).eligible
    assert (source.check(DEMO["household_member"], today).household_id
            == source.check(DEMO["household_holder_beta"], today).household_id)


def test_configured_adapter_replaces_snapshot(app):
    app.config["ELIGIBILITY_SOURCE"] = "tests.unit.test_eligibility:FixedSource"
    assert get_source().check(DEMO["unknown"], date.today()).category == "WAR_BLIND"


def test_import_reports_bad_lines_and_loads_good_ones(app):
    text = HEADER + (
        "85073003328,AGE65,2020-01-01,,H1,Dupont,Émile\n"
        "85073003329,AGE65,2020-01-01,,H2,Bad,Check\n"  # line 3: check digits
        "90051200211,NOPE,2020-01-01,,H3,Bad,Category\n"  # line 4
        "05030100127,DISABLED66,2020-13-01,,H4,Bad,Date\n"  # line 5
        "90451200297,HEARING_LOSS,2020-01-01,2030-12-31,H1,Bis,Person\n"
    )
    report = import_snapshot_text(text)
    assert report.loaded == 2
    assert [line for line, _ in report.errors] == [3, 4, 5]
    assert EligibilityRecord.select().count() == 2  # the snapshot was replaced
    event = AuditEvent.select().where(AuditEvent.action == "eligibility.imported").get()
    assert "85073003328" not in event.details


def test_import_keep_adds_rows(app):
    before = EligibilityRecord.select().count()
    report = import_snapshot_text(HEADER + "85073003328,AGE65,2020-01-01,,H1,A,B\n",
                                  replace=False)
    assert report.loaded == 1 and EligibilityRecord.select().count() == before + 1


def test_import_missing_columns(app):
    report = import_snapshot_text("national_number,category\n85073003328,AGE65\n")
    assert report.loaded == 0 and report.errors[0][0] == 1


def test_cli_import_eligibility(app, tmp_path):
    path = tmp_path / "snapshot.csv"
    path.write_text(HEADER + "85073003328,AGE65,2020-01-01,,H1,Dupont,Émile\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["stts", "import-eligibility", str(path)])
    assert result.exit_code == 0, result.output
    assert "loaded: 1" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "123,AGE65,2020-01-01,,H1,X,Y\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["stts", "import-eligibility", str(bad)])
    assert result.exit_code == 1 and "line 2" in result.output
