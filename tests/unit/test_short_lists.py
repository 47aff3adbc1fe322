"""On PostgreSQL a slice of a big table is counted first, and a short one (at most
``SORT_LIMIT`` rows) is read from its matches and sorted instead of walked in the list's
order (``stts.pagination._counted_first``). Every list that pages this way (the dossier
search, the task inbox, the review queue) must show the same rows in the same order, page by
page, whichever way it is read: checked on both databases for many random filter
combinations, small pages and tied sort keys.
"""
import random
from datetime import date, datetime

import pytest

from stts import pagination
from stts.models import Dossier, Task, User
from stts.services import review, tasks
from stts.services.dossiers import search
from stts.services.dossiers.search import search_dossiers
from stts.services.review import review_queue
from stts.services.tasks import list_tasks

FILTERS = {
    "name": ["d", "de", "ma", "de s", "x"],
    "state": ["ACTIVE", "REVIEW", "INCOMPLETE", "CLOSED"],
    "category": ["AGE65", "DISABLED66", "WAR_BLIND", "HEARING_LOSS"],
    "created_from": [date(2024, 1, 16), date(2024, 1, 17)],
    "created_to": [date(2024, 1, 16), date(2024, 1, 18)],
    "activated_from": [date(2024, 1, 1), date(2024, 3, 1)],
    "activated_to": [date(2024, 2, 1), date(2025, 1, 1)],
    "customer_number": ["A-000101", "A-000999"],
}


def every_way(monkeypatch, read):
    """``read()`` the way the database reads it, then counted first and sorted from the
    matches, then counted first and walked in the list's order: (ids, total, exact) each."""
    def shown(page):
        return [row["id"] if isinstance(row, dict) else row.id for row in page.rows], \
            page.total, page.exact, page.page

    ways = [shown(read())]
    with monkeypatch.context() as patched:
        patched.setattr(pagination, "is_sqlite", lambda: False)
        for sort_limit in (pagination.COUNT_LIMIT, -1):
            patched.setattr(pagination, "SORT_LIMIT", sort_limit)
            ways.append(shown(read()))
    return ways


@pytest.fixture
def tied(app):
    """Sort keys shared by several rows, so that only the id decides between them."""
    alpha = User.get(User.username == "stts3.alpha").company_id
    ids = [d.id for d in Dossier.select(Dossier.id).where(Dossier.company == alpha)
           .order_by(Dossier.id)]
    for group in (ids[3:9], ids[20:26], ids[40:44]):
        Dossier.update(created_at=datetime(2024, 1, 17, 12, 0)).where(
            Dossier.id.in_(group)).execute()
    Task.update(due_date=date(2026, 1, 1)).where(Task.company == alpha).execute()
    return alpha


def test_the_dossier_search_shows_the_same_pages_every_way(app, tied, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 4)
    staff = User.get(User.username == "stts3.alpha")
    rng = random.Random(15)
    shapes = [{}] + [{name: rng.choice(FILTERS[name])
                      for name in rng.sample(sorted(FILTERS), rng.randint(1, 4))}
                     for _ in range(60)]
    with app.test_request_context():
        for filters in shapes:
            for page in (1, 2, 5, 40):
                ways = every_way(monkeypatch, lambda f=filters, p=page: search_dossiers(staff, f, p))
                assert ways[0] == ways[1] == ways[2], (filters, page, ways)
        # The lists are not all empty: the comparison compared something.
        assert len(search_dossiers(staff, {}, 1).rows) == 4


def test_the_task_inbox_and_the_review_queue_show_the_same_pages_every_way(app, tied,
                                                                          monkeypatch):
    monkeypatch.setattr(tasks, "PAGE_SIZE", 3)
    monkeypatch.setattr(review, "PAGE_SIZE", 3)
    staff = User.get(User.username == "stts3.alpha")
    with app.test_request_context():
        for state in ("OPEN", "DONE", "ALL"):
            for due in (None, "overdue", "week"):
                for page in (1, 2, 4):
                    ways = every_way(monkeypatch, lambda s=state, d=due, p=page: list_tasks(
                        staff, state=s, due=d, page=p))
                    assert ways[0] == ways[1] == ways[2], (state, due, page, ways)
        for company in (None, tied):
            for page in (1, 2, 3):
                ways = every_way(monkeypatch, lambda c=company, p=page: review_queue(
                    company_id=c, page=p))
                assert ways[0] == ways[1] == ways[2], (company, page, ways)
        assert len(list_tasks(staff, state="ALL").rows) == 3
        assert len(review_queue(company_id=tied).rows) == 3
