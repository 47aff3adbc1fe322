"""``paginate`` with a capped count (lists that only grow, such as a consultation log),
checked against the plain count for many list lengths, pages and limits: the same rows on
every page, the page clamped the same way while the count is exact, and past the limit a
total the rows exceed and a next page."""
import random

import pytest
from peewee import IntegerField, Model

from stts.db import database
from stts.pagination import paginate


class Entry(Model):
    n = IntegerField()

    class Meta:
        database = database
        table_name = "pagination_entry"


@pytest.fixture
def entries(app):
    database.create_tables([Entry])
    yield Entry
    database.drop_tables([Entry])


def test_a_capped_count_pages_exactly_like_the_plain_count(entries):
    rng = random.Random(7)
    Entry.insert_many([{"n": n} for n in range(120)]).execute()
    for _ in range(300):
        length, size = rng.randint(0, 120), rng.randint(1, 12)
        limit, page = rng.randint(1, 60), rng.randint(1, 20)
        query = Entry.select().where(Entry.n < length).order_by(Entry.n.desc())
        plain = paginate(query, page, size)
        capped = paginate(query, page, size, count_limit=limit)
        shape = (length, size, limit, page)
        if capped.exact:
            assert capped.total == plain.total == length, shape
            assert capped.page == plain.page, shape
            assert [e.n for e in capped.rows] == [e.n for e in plain.rows], shape
            assert capped.has_next == plain.has_next, shape
        else:
            assert length > capped.total >= max(limit, page * size), shape
            assert capped.page == page and capped.has_next, shape
            assert [e.n for e in capped.rows] == [e.n for e in query.paginate(page, size)], shape
