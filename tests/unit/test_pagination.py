"""``paginate_log``, a list that is not counted (a log that only grows), checked against the
counted list for many list lengths, page sizes and pages: the same rows, the same Next
link, "Page N of M" only when the last page is reached, and a page past the end clamped
the same way."""
import random

import pytest
from peewee import IntegerField, Model

from stts import fastsql
from stts.db import database
from stts.pagination import paginate, paginate_log


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


def test_an_uncounted_list_pages_exactly_like_a_counted_one(entries):
    rng = random.Random(7)
    Entry.insert_many([{"n": n} for n in range(120)]).execute()
    for _ in range(400):
        length, size, page = rng.randint(0, 120), rng.randint(1, 12), rng.randint(1, 20)
        query = Entry.select().where(Entry.n < length).order_by(Entry.n.desc())
        counted = paginate(query, page, size)
        # The log in two branches (odd and even entries), merged like a dossier's views and
        # its person's lookups.
        uncounted = paginate_log("test-entries", {
            parity: lambda parity=parity: Entry.select().where(
                (Entry.n < fastsql.Param("length")) & (Entry.n.bin_and(1) == parity)
            ).order_by(Entry.n.desc()) for parity in (0, 1)},
            {"length": length}, page, size, order=lambda entry: -entry.n)
        shape = (length, size, page)
        assert uncounted.page == counted.page, shape
        assert [e.n for e in uncounted.rows] == [e.n for e in counted.rows], shape
        assert uncounted.has_next == counted.has_next, shape
        if uncounted.exact:  # the last page: its number of pages is known
            assert uncounted.pages == counted.pages and uncounted.total == length, shape
        else:
            assert uncounted.has_next and uncounted.total < length, shape
