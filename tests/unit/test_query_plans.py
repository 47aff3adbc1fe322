"""Every query a user can type reads an index: the plan of each statement of each query
family (the dossier search in many combinations of its filters, the console's user search
and its complement, the desk home's counts, the dossier page, the task inbox) is asked of the
database and may not read the dossiers, persons, users or tasks from end to end.

The statements are the ones the services run (caught at ``execute_sql`` with their values).
On SQLite, ``EXPLAIN QUERY PLAN`` must show no ``SCAN`` of a big table (a full table or full
index scan); on PostgreSQL, with sequential scans disabled for the EXPLAIN (the test data is
small, so the planner would rightly prefer them), no ``Seq Scan`` of a big table and no index
scan without an index condition.
"""
import itertools
import json
import random
import re
from datetime import date

import pytest

from stts.db import database, is_sqlite
from stts.models import Dossier, User
from stts.services.dossiers.reading import consultations, count_by_state, timeline, view_dossier
from stts.services.dossiers.search import search_dossiers
from stts.services.tasks import list_tasks, open_task_count
from stts.services.user_search import UserCriteria, search_users

BIG = {"dossier", "beneficiary", "user", "task", "audit_event", "dossier_action",
       "user_application", "user_profile"}

DOSSIER_FILTERS = {
    "national_number": "85073003328",
    "name": "de",
    "phone_number": "+3223456789",
    "customer_number": "C-1",
    "state": "ACTIVE",
    "category": "AGE65",
    "created_from": date(2020, 1, 1),
    "created_to": date(2026, 12, 31),
    "activated_from": date(2021, 1, 1),
    "activated_to": date(2026, 6, 30),
}


class Statements:
    """The SELECT statements run while the block runs, with their values."""

    def __init__(self, monkeypatch):
        self.caught = []
        real = database.obj.execute_sql

        def catching(sql, params=None, *args, **kwargs):
            if sql.lstrip().upper().startswith(("SELECT", "WITH")):
                self.caught.append((sql, tuple(params or ())))
            return real(sql, params, *args, **kwargs)

        monkeypatch.setattr(database.obj, "execute_sql", catching)
        self.real = real

    def take(self):
        caught, self.caught = self.caught, []
        return caught


ALIAS = re.compile(r'"(\w+)" AS "(\w+)"')


def full_scans(real_execute, sql: str, params) -> list[str]:
    """The big tables the plan of ``sql`` reads from end to end ([] when none). On
    PostgreSQL both plans are checked: the one made for these values, and the generic plan
    of the prepared statement (psycopg prepares a statement run five times), which cannot
    read the values."""
    if is_sqlite():
        rows = real_execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        # The scopes (a query, each of its subqueries) whose rows are sorted afterwards.
        sorted_scopes = {row[1] for row in rows
                         if row[-1].startswith("USE TEMP B-TREE FOR ORDER BY")}
        # The plan names a table by its alias in the statement (Peewee's "t1"): the table.
        tables = dict((alias, table) for table, alias in ALIAS.findall(sql))
        found = []
        for row in rows:
            match = re.match(r"SCAN (\w+)", row[-1])
            if match and tables.get(match.group(1), match.group(1)) in BIG:
                found.append(row[-1])
            # A company's whole slice read to be sorted (a page of it needs every row).
            match = re.match(r"SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \(company_id=\?\)$",
                             row[-1])
            if (match and tables.get(match.group(1), match.group(1)) in BIG
                    and row[1] in sorted_scopes):
                found.append(f"{row[-1]}, then sorted")
        return found
    with database.atomic():
        real_execute("SET LOCAL enable_seqscan = off")
        (plan,) = real_execute("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()
    return _scans_of(plan) + [f"{scan} (generic plan)"
                              for scan in _scans_of(generic_plan(real_execute, sql, params))]


def generic_plan(real_execute, sql: str, params):
    """PostgreSQL's generic plan of ``sql`` (JSON), as a prepared statement runs it."""
    from psycopg import sql as psycopg_sql

    numbers = iter(range(1, len(params or ()) + 1))
    prepared = re.sub(r"%s", lambda _match: f"${next(numbers)}", sql)
    connection = database.connection()
    values = ", ".join(psycopg_sql.Literal(value).as_string(connection)
                       for value in params or ())
    with database.atomic():
        real_execute("SET LOCAL enable_seqscan = off")
        real_execute("SET LOCAL plan_cache_mode = force_generic_plan")
        real_execute("PREPARE plan_probe AS " + prepared)
        try:
            execute = "EXPLAIN (FORMAT JSON) EXECUTE plan_probe" + (f"({values})" if values else "")
            (plan,) = real_execute(execute.replace("%", "%%"), ()).fetchone()
        finally:
            real_execute("DEALLOCATE plan_probe")
    return plan


def _scans_of(plan) -> list[str]:
    if isinstance(plan, str):
        plan = json.loads(plan)
    found = []

    def walk(node):
        relation = node.get("Relation Name")
        kind = node["Node Type"]
        if relation in BIG and (kind == "Seq Scan" or (
                kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node)):
            found.append(f"{kind} on {relation}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


# The audit chain's last hash: the newest row by primary key, one row read whatever the size
# (SQLite shows it as a SCAN, PostgreSQL as a backward index scan without a condition).
LAST_ROW = re.compile(r'ORDER BY ("?\w+"?\.)?"?id"? DESC LIMIT 1$')


def assert_indexed(statements, family: str):
    caught = statements.take()
    assert caught, f"{family}: no statement caught"
    for sql, params in caught:
        if not any(f'"{table}"' in sql or f" {table} " in sql for table in BIG):
            continue
        if LAST_ROW.search(sql.strip()):
            continue
        scans = full_scans(statements.real, sql, params)
        assert not scans, f"{family}: {scans}\n{sql}\n{params}"


@pytest.fixture
def staff(app):
    return User.get(User.username == "stts3.alpha")


@pytest.fixture(params=["short lists sorted", "every list walked"])
def read_way(request, monkeypatch):
    """PostgreSQL reads a list of at most ``SORT_LIMIT`` rows from its matches and walks a
    longer one in its order (``stts.pagination._counted_first``). The test data makes every
    list short; the second run walks them all, so that both ways have their plans checked."""
    if request.param == "every list walked":
        monkeypatch.setattr("stts.pagination.SORT_LIMIT", -1)
    return request.param


def dossier_filter_shapes(count=40, seed=15):
    """Every filter alone, every pair, and ``count`` larger combinations drawn at random
    (fixed seed), with the two-word name and a deep page among them."""
    names = sorted(DOSSIER_FILTERS)
    shapes = [(name,) for name in names] + list(itertools.combinations(names, 2))
    rng = random.Random(seed)
    for _ in range(count):
        shapes.append(tuple(sorted(rng.sample(names, rng.randint(3, len(names))))))
    return shapes


def test_dossier_search_reads_an_index_for_every_combination(app, staff, monkeypatch,
                                                             read_way):
    statements = Statements(monkeypatch)
    with app.test_request_context():
        assert_indexed_search(statements, staff, {}, 1)
        for index, shape in enumerate(dossier_filter_shapes()):
            filters = {name: DOSSIER_FILTERS[name] for name in shape}
            if "name" in filters and index % 2:
                filters["name"] = "de s"  # last name "De…", first name "S…"
            assert_indexed_search(statements, staff, filters, 1 + index % 3 * 20)


def assert_indexed_search(statements, staff, filters, page, cursor=None):
    search_dossiers(staff, filters, page, cursor)
    family = f"dossier search {sorted(filters)} page {page} {cursor}"
    if is_sqlite():
        assert_search_index_walked(statements.caught, statements.real, family)
    assert_indexed(statements, family)


def assert_search_index_walked(caught, real_execute, family):
    """SQLite: a statement pinned to one of the search's covering indexes (``INDEXED BY``)
    reads only that index and never sorts its matches (the one sort allowed is the page's
    own 25 rows, read by primary key)."""
    for sql, params in caught:
        pinned = re.search(r"INDEXED BY (dossier_search_\w+)", sql)
        if not pinned:
            continue
        plan = [row[-1] for row in real_execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert any(f"COVERING INDEX {pinned.group(1)}" in line for line in plan), (family, plan)
        sorts = sum("TEMP B-TREE" in line for line in plan)
        allowed = 1 if " IN (SELECT" in sql else 0
        assert sorts <= allowed, (family, sql, plan)


def test_keyset_pages_read_an_index_for_every_combination(app, staff, monkeypatch):
    """The pager's next and previous pages (a cursor row, then the index from there), for
    the same combinations; counted to no limit so that every shape takes the keyset path."""
    monkeypatch.setattr("stts.pagination.COUNT_LIMIT", 0)
    cursor = Dossier.select(Dossier.id).where(Dossier.company == staff.company_id).scalar()
    statements = Statements(monkeypatch)
    with app.test_request_context():
        for index, shape in enumerate(dossier_filter_shapes(count=60, seed=16)):
            filters = {name: DOSSIER_FILTERS[name] for name in shape}
            if "name" in filters and index % 2:
                filters["name"] = "de s"
            direction = ("after", "before")[index % 2]
            assert_indexed_search(statements, staff, filters, 3, (direction, cursor))


@pytest.mark.parametrize("complement", [False, True])
def test_user_search_and_its_complement_read_an_index(app, monkeypatch, complement):
    manager = User.get(User.username == "lm.alpha")
    statements = Statements(monkeypatch)
    criteria = {"last_name": ["", "d"], "first_name": ["", "a"],
                "national_number": ["", "85073003328"], "blocked": ["", "yes", "no"],
                "application": ["", "STTS_WEB", "STTS_XML", "none"]}
    combinations = list(itertools.product(*criteria.values()))
    # Each criterion alone, everything together, and 30 combinations drawn at random.
    chosen_ones = [c for c in combinations if sum(bool(v) for v in c) <= 1 or all(c)]
    chosen_ones += random.Random(15).sample(combinations, 30)
    with app.test_request_context():
        for index, values in enumerate(chosen_ones):
            chosen = dict(zip(criteria, values, strict=True))
            sort = ("name", "username", "last_login")[index % 3]
            search_users(manager, UserCriteria(**chosen, complement=complement, sort=sort))
            assert_indexed(statements, f"user search {chosen} {sort} {complement}")


def test_desk_home_counts_read_an_index(app, staff, monkeypatch):
    statements = Statements(monkeypatch)
    with app.test_request_context():
        count_by_state(staff)
        assert_indexed(statements, "desk home counts")
        open_task_count(staff)
        assert_indexed(statements, "open task count")


def test_dossier_page_reads_an_index(app, staff, monkeypatch):
    dossier_id = Dossier.select(Dossier.id).where(Dossier.company == staff.company_id).scalar()
    statements = Statements(monkeypatch)
    with app.test_request_context():
        dossier = view_dossier(staff, dossier_id)
        timeline(staff, dossier)
        consultations(staff, dossier)
        assert_indexed(statements, "dossier page")


def _plan_text(real_execute, sql: str, params) -> str:
    if is_sqlite():
        return "\n".join(row[-1] for row in real_execute("EXPLAIN QUERY PLAN " + sql, params))
    with database.atomic():
        real_execute("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in real_execute("EXPLAIN " + sql, params))


@pytest.mark.parametrize("page", [1, 3])
def test_a_consultation_log_page_reads_no_further_than_its_end(app, staff, monkeypatch, page):
    """The views of the dossier and the lookups of its person are each one walk of the
    trail's object index, newest first, stopped at the page's end: no sort, whatever the
    length of the dossier's log or of the company's trail."""
    dossier_id = Dossier.select(Dossier.id).where(Dossier.company == staff.company_id).scalar()
    statements = Statements(monkeypatch)
    with app.test_request_context():
        dossier = view_dossier(staff, dossier_id)
        statements.take()
        consultations(staff, dossier, page=page)
        caught = statements.take()
        assert len(caught) == 2
        for sql, params in caught:
            plan = _plan_text(statements.real, sql, params)
            assert "audit_event_object_trail" in plan, plan
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
            assert "LIMIT" in sql.upper()


def test_task_inbox_reads_an_index(app, staff, monkeypatch, read_way):
    statements = Statements(monkeypatch)
    with app.test_request_context():
        for type_, due, state, page in itertools.product(
                (None, "CLOSE_FILE"), (None, "overdue", "today", "week"),
                ("OPEN", "DONE", "ALL"), (1, 40)):
            list_tasks(staff, type_=type_, due=due, state=state, page=page)
            assert_indexed(statements, f"task inbox {type_} {due} {state} {page}")


def test_the_plan_check_sees_a_full_scan(app):
    """The check itself: a filter no index serves is reported, an indexed one is not."""
    with app.test_request_context():
        database.connect(reuse_if_open=True)
        p = database.param
        assert full_scans(database.execute_sql,
                          f"SELECT id FROM dossier WHERE tariff_formula = {p}", ("x",))
        assert full_scans(database.execute_sql,
                          f'SELECT id FROM "user" WHERE email = {p}', ("x",))
        # As Peewee writes it: the table under an alias.
        assert full_scans(database.execute_sql, 'SELECT "t1"."id" FROM "dossier" AS "t1" '
                          f'WHERE "t1"."tariff_formula" = {p}', ("x",))
        assert not full_scans(database.execute_sql,
                              f"SELECT id FROM dossier WHERE company_id = {p} AND state = {p}",
                              (1, "ACTIVE"))
        if is_sqlite():  # a company's whole trail read to be sorted
            assert full_scans(database.execute_sql,
                              f"SELECT id FROM audit_event WHERE company_id = {p} "
                              "ORDER BY actor_username LIMIT 20", (1,))


@pytest.mark.parametrize("application", ["STTS_WEB", "none"])
def test_user_search_by_application_probes_each_user_of_the_company(app, monkeypatch,
                                                                     application):
    """The application criterion is an EXISTS per user of the company (the (user,
    application) index), not a list of every company's users of that application."""
    manager = User.get(User.username == "lm.alpha")
    statements = Statements(monkeypatch)
    with app.test_request_context():
        for complement in (False, True):
            search_users(manager, UserCriteria(application=application, complement=complement))
            for sql, params in statements.take():
                if "user_application" not in sql:
                    continue
                if is_sqlite():
                    rows = statements.real("EXPLAIN QUERY PLAN " + sql, params).fetchall()
                    plan = " ".join(row[-1] for row in rows)
                    # The page's own ids may be a list (``id IN (SELECT id ... LIMIT)``); a
                    # subquery reading the applications is probed per user (correlated).
                    assert _application_subqueries(rows) <= {"CORRELATED"}, plan
                    assert "(application_id=?)" not in plan, plan
                elif 'FROM "user"' in sql:  # the search itself, not the page's applications
                    assert "EXISTS" in sql.upper(), sql
                    assert not re.search(r'IN \(SELECT [^()]*FROM "user_application"', sql), sql


def _application_subqueries(rows) -> set[str]:
    """How each subquery of an SQLite plan (rows of EXPLAIN QUERY PLAN) that reads the
    user_application table runs: CORRELATED (once per outer row) or LIST / SCALAR (once)."""
    details = {row[0]: (row[1], row[-1]) for row in rows}
    kinds = set()
    for parent, detail in details.values():
        if "userapplication" not in detail and "user_application" not in detail:
            continue
        while parent in details:
            parent, above = details[parent]
            if "SUBQUERY" in above:
                kinds.add(above.split()[0])
                break
    return kinds


@pytest.mark.parametrize("name", ["de", "de s", "w"])
def test_a_name_search_enters_the_name_index_at_its_prefix(app, staff, monkeypatch, name):
    """The statements of a name search enter the name index at the prefix's range, in the
    plan made for the values and, on PostgreSQL, in the generic plan of the prepared
    statement too (a LIKE parameter alone gives it no range: it walked the company's
    entries)."""
    statements = Statements(monkeypatch)
    with app.test_request_context():
        search_dossiers(staff, {"name": name, "state": "ACTIVE"}, 2)
    caught = [(sql, params) for sql, params in statements.take() if "last_name_key" in sql]
    assert caught
    for sql, params in caught:
        if is_sqlite():
            plan = " ".join(row[-1] for row in statements.real(
                "EXPLAIN QUERY PLAN " + sql, params))
            assert "last_name_key>? AND last_name_key<?" in plan, plan
            continue
        plan = json.dumps(generic_plan(statements.real, sql, params))
        assert re.search(r"last_name_key >= \$\d+\) AND \(.*last_name_key < \$\d+", plan), plan


def test_the_results_of_messages_sent_again_are_probed_by_message_id(app, monkeypatch):
    """An XML group and its response file look up the company's results of up to 200
    message ids. Each id must enter the (company, message id) index, in the plan made for
    the values and in PostgreSQL's generic plan, while the table's statistics still say
    nothing of its rows (autovacuum analyses it later, or never where it is off): with the
    ids as a list of parameters (IN), that plan read every result of the company and
    compared each with every id, a cost that grew with every batch the company sent."""
    from peewee import chunked

    from stts.models import XmlBatch, XmlMessageResult
    from stts.services.xml_batches.responses import results_of

    batch = XmlBatch.create(company=1, sender_name="Test", file_name="x.xml", total=3000)
    rows = [{"company": 1, "batch": batch, "seq": n, "message_id": f"OLD-{n}",
             "kind": "Request", "code": "OK", "text": ""} for n in range(3000)]
    for part in chunked(rows, 500):
        XmlMessageResult.insert_many(part).execute()
    ids = [f"OLD-{n}" for n in range(0, 3000, 15)] + ["NEW-1"]
    statements = Statements(monkeypatch)
    found = {r.message_id: r.code for r in results_of(1, ids)}
    assert found == {f"OLD-{n}": "OK" for n in range(0, 3000, 15)}
    assert results_of(2, ids[:5]) is not None and not list(results_of(2, ids[:5]))
    (sql, params), _other_company = statements.take()
    if is_sqlite():
        plan = " / ".join(row[-1] for row in statements.real(
            "EXPLAIN QUERY PLAN " + sql, params).fetchall())
        assert re.fullmatch(r"SEARCH \w+ USING INDEX xmlmessageresult_company_id_message_id "
                            r"\(company_id=\? AND message_id=\?\)", plan), plan
        return
    with database.atomic():
        (custom,) = statements.real("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()
    for plan in (custom, generic_plan(statements.real, sql, params)):
        plan = json.loads(plan) if isinstance(plan, str) else plan
        conditions = _index_conditions(plan[0]["Plan"])
        assert any("company_id" in c and "message_id" in c for c in conditions), plan
        assert not _scans_of(plan)


def _index_conditions(node) -> list[str]:
    found = [node["Index Cond"]] if "Index Cond" in node else []
    for child in node.get("Plans", []):
        found += _index_conditions(child)
    return found


def test_the_nightly_statistics_follow_a_table_that_grew(app, monkeypatch):
    """SQLite keeps the statistics ANALYZE took, however much a table grew since: login
    sessions analysed while there was one were then read from end to end for every request.
    The nightly job takes them again, and the session is found through its token's index.
    (PostgreSQL's autovacuum does this itself: the job does nothing there.)"""
    from stts.db import refresh_planner_statistics
    from stts.services.sessions import _session_with_user, open_session
    from stts.tokens import digest
    from stts.worker import worker

    assert "database.statistics" in worker._declared
    if not is_sqlite():
        assert refresh_planner_statistics() is False
        return
    users = list(User.select())
    open_session(users[0])
    database.execute_sql("ANALYZE")  # one session: the statistics say the table is tiny
    tokens = [open_session(users[number % len(users)]) for number in range(400)]
    sql, _params = _session_with_user().sql()
    plan = lambda: _plan_text(database.execute_sql, sql, [digest(tokens[-1])])  # noqa: E731
    assert "loginsession_token_hash" not in plan()  # read from end to end
    assert refresh_planner_statistics() is True
    assert "USING INDEX loginsession_token_hash" in plan(), plan()
