"""The pages people open most stay cheap whatever the data: the desk home counts each state
only up to a limit, and the dossier page records its consultation without waiting for an
fsync of its own, yet durably enough that a crash of the process loses nothing and the
audit chain has no gap."""
import os
import signal
import subprocess
import sys
import textwrap

from stts.db import database, is_sqlite
from stts.models import AuditEvent, Dossier, User
from stts.services.audit import verify_chain
from stts.services.dossiers import reading
from tests.conftest import login


def _alpha_dossier():
    staff = User.get(User.username == "stts3.alpha")
    return staff, Dossier.select().where(Dossier.company == staff.company_id).first()


def test_desk_home_counts_each_state_up_to_a_limit(client, monkeypatch):
    staff, _ = _alpha_dossier()
    exact = {state: Dossier.select().where((Dossier.company == staff.company_id)
                                           & (Dossier.state == state)).count()
             for state in ("ACTIVE", "REVIEW", "INCOMPLETE")}
    for state, n in exact.items():
        assert reading.count_by_state(staff).get(state, 0) == n
    busiest = max(exact, key=exact.get)
    assert exact[busiest] >= 2
    monkeypatch.setattr(reading, "HOME_COUNT_LIMIT", 1)
    assert reading.count_by_state(staff)[busiest] == 2  # the limit + 1: "more than"
    login(client, "stts3.alpha")
    body = client.get("/desk/").get_data(as_text=True)
    assert "More than 1 dossiers" in body


def test_consultation_is_recorded_without_its_own_fsync(client, monkeypatch):
    """The consultation's commit is a group commit (SQLite: synchronous NORMAL for that
    write, FULL again afterwards; PostgreSQL: synchronous_commit off for that transaction
    only), and the audit chain stays intact."""
    staff, dossier = _alpha_dossier()
    seen = []
    real = database.obj.execute_sql

    def spy(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return real(sql, params, *args, **kwargs)

    login(client, "stts3.alpha")
    monkeypatch.setattr(database.obj, "execute_sql", spy)
    before = AuditEvent.select().where(AuditEvent.action == "dossier.viewed").count()
    assert client.get(f"/desk/dossiers/{dossier.id}").status_code == 200
    monkeypatch.undo()
    assert AuditEvent.select().where(AuditEvent.action == "dossier.viewed").count() == before + 1
    if is_sqlite():
        assert "PRAGMA synchronous = NORMAL" in seen and seen[-1] != "PRAGMA synchronous = NORMAL"
        assert seen.index("PRAGMA synchronous = FULL") > seen.index("PRAGMA synchronous = NORMAL")
        assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    else:
        assert "SET LOCAL synchronous_commit = off" in seen
        assert database.execute_sql("SHOW synchronous_commit").fetchone()[0] == "on"
    assert verify_chain() == []


def test_a_killed_process_loses_no_consultation(app):
    """A worker killed right after the page was served (SIGKILL, no clean exit) leaves its
    consultation recorded: the commit reached the database's log before the page went out."""
    staff, dossier = _alpha_dossier()
    before = AuditEvent.select().where(AuditEvent.action == "dossier.viewed").count()
    database.close()
    config = {key: app.config[key] for key in ("SECRET_KEY", "AUDIT_HMAC_KEY",
                                                     "AUDIT_CHAIN_KEY")}
    config.update({key: app.config[key] for key in ("SQLITE_PATH", "DATABASE_URL")
                   if app.config.get(key)})
    script = textwrap.dedent(f"""
        import os, signal
        from stts.app import create_app
        from stts.db import database
        from stts.models import User
        from stts.services.dossiers.reading import view_dossier
        app = create_app({{**{config!r}, "TESTING": True, "DATABASE_POOL_SIZE": 0}})
        with app.test_request_context():
            database.connect(reuse_if_open=True)
            view_dossier(User.get_by_id({staff.id}), {dossier.id})
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env={**os.environ, "STTS_INSTANCE_PATH": app.instance_path})
    assert process.returncode == -signal.SIGKILL, process.stderr[-2000:]
    database.connect(reuse_if_open=True)
    assert AuditEvent.select().where(AuditEvent.action == "dossier.viewed").count() == before + 1
    assert verify_chain() == []


def test_list_rows_link_where_url_for_does(app, client):
    """The task inbox and the search results write their rows' addresses from a prefix
    found once per page: each is exactly the address ``url_for`` builds for that row."""
    import re

    from flask import url_for

    from stts.models import Task
    from tests.conftest import HX

    staff, _ = _alpha_dossier()
    login(client, "stts3.alpha")
    tasks = client.get("/desk/tasks?state=all", headers=HX).get_data(as_text=True)
    rows = re.findall(r'<tr id="task-(\d+)".*?</tr>', tasks, re.S)
    assert len(rows) >= 3
    results = client.get("/desk/dossiers?state=ACTIVE", headers=HX).get_data(as_text=True)
    modify_links = 0
    with app.test_request_context():
        for task_id in rows:
            task = Task.get_by_id(int(task_id))
            row = re.search(rf'<tr id="task-{task_id}".*?</tr>', tasks, re.S).group(0)
            assert f'href="{url_for("desk.task", task_id=task.id)}"' in row
            if task.dossier.company_id == staff.company_id:
                assert f'href="{url_for("desk.dossier", dossier_id=task.dossier_id)}"' in row
            if 'class="button secondary"' in row and "modify" in row:
                assert f'href="{url_for("desk.modify", dossier_id=task.dossier_id)}"' in row
                modify_links += 1
        assert modify_links >= 1, "no row offered to enter missing data"
        linked = re.findall(r'<td><a href="([^"]+)">(\d+)</a></td>', results)
        assert len(linked) >= 3
        for href, dossier_id in linked:
            assert href == url_for("desk.dossier", dossier_id=int(dossier_id))
