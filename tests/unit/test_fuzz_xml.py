"""Hypothesis over the batch reader (checklists 15 and 18): random bytes, mutated valid
batches and hostile constructs give a ``BatchFormatError`` (the documented refusal) or a
well-formed result — never another exception, never a network or file access, and fast."""
import os
import tempfile
import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stts.xml.parser import BatchFormatError, Header, Message, read_batch

pytestmark = pytest.mark.fuzz

NS = "urn:be:stts:batch:1"
VALID = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<Batch xmlns="{NS}">\n'
    "  <Header><EnterpriseNumber>0403019261</EnterpriseNumber><BatchId>B-1</BatchId>"
    "<CreatedAt>2025-03-01T09:00:00Z</CreatedAt></Header>\n"
    '  <Request messageId="m-1"><NationalNumber>85073003328</NationalNumber>'
    "<Category>AGE65</Category></Request>\n</Batch>\n"
).encode()
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
HOSTILE = [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">'
    b']><Batch xmlns="urn:be:stts:batch:1">&lol2;</Batch>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<Batch xmlns="urn:be:stts:batch:1">&xxe;</Batch>',
    b'<!DOCTYPE x SYSTEM "http://127.0.0.1:1/evil.dtd"><Batch xmlns="urn:be:stts:batch:1"/>',
    b'<Batch xmlns="urn:be:stts:batch:1" xmlns:xi="http://www.w3.org/2001/XInclude">'
    b'<xi:include href="/etc/passwd" parse="text"/></Batch>',
    b'<Batch xmlns="urn:be:stts:batch:1">' + b"<a>" * 5000 + b"</a>" * 5000 + b"</Batch>",
    b"\xff\xfe<\x00B\x00",
    b'<?xml version="1.0" encoding="ISO-8859-1"?><Batch xmlns="urn:be:stts:batch:1"/>',
    b"",
    b"   \n",
    b"<Batch",
]


def _read(content: bytes):
    """Run the reader to the end; return what it yielded or the documented refusal."""
    fd, path = tempfile.mkstemp(suffix=".xml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        started = time.perf_counter()
        try:
            items = list(read_batch(path))
        except BatchFormatError as error:
            assert str(error.message) and error.code
            assert "/etc/passwd" not in str(error.message) or b"/etc/passwd" in content
            assert "root:" not in str(error.message)
            items = error
        assert time.perf_counter() - started < 5
        return items
    finally:
        os.unlink(path)


def test_valid_batch_reads(app):
    items = _read(VALID)
    assert isinstance(items[0], Header) and isinstance(items[1], Message)
    assert items[1].data["NationalNumber"] == "85073003328"


@pytest.mark.parametrize("content", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_files_are_refused(app, content):
    assert isinstance(_read(content), BatchFormatError)


@SETTINGS
@given(content=st.binary(max_size=2000))
@example(content=b"<")
@example(content=b"\xef\xbb\xbf")
def test_random_bytes(app, content):
    result = _read(content)
    assert isinstance(result, (BatchFormatError, list))


@SETTINGS
@given(position=st.integers(min_value=0, max_value=len(VALID)),
       cut=st.integers(min_value=0, max_value=40),
       insert=st.one_of(st.binary(max_size=30),
                        st.sampled_from([b"<!DOCTYPE x>", b"&amp;", b"&foo;", b"<![CDATA[x]]>",
                                         b"<x:y/>", b"</Batch>", b"<Request>", b"\x00",
                                         b"<!-- c -->", b"<?pi x?>", b"\xc3\x28",
                                         "é😀".encode()])))
def test_mutated_valid_batches(app, position, cut, insert):
    content = VALID[:position] + insert + VALID[position + cut:]
    result = _read(content)
    if isinstance(result, list):  # whatever is accepted has the documented shape
        assert isinstance(result[0], Header)
        assert all(isinstance(item, Message) for item in result[1:])


@SETTINGS
@given(text=st.text(max_size=200))
def test_any_text_in_a_field(app, text):
    from xml.sax.saxutils import escape

    content = VALID.replace(b"<BatchId>B-1</BatchId>",
                            b"<BatchId>" + escape(text).encode("utf-8", "surrogatepass")
                            + b"</BatchId>")
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert isinstance(_read(content), (BatchFormatError, list))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(["CompleteData", "Modify", "Cease", "CancelAction"]),
       dossier_id=st.one_of(st.integers(min_value=1, max_value=10**40),
                            st.sampled_from([2**63 - 1, 2**63, 2**64])),
       version=st.one_of(st.none(), st.integers(min_value=1, max_value=10**40)),
       action_id=st.one_of(st.none(), st.integers(min_value=1, max_value=10**40)))
def test_any_id_in_a_message_is_a_refusal_never_a_crash(app, kind, dossier_id, version,
                                                        action_id):
    """Every id a message carries (DossierId, Version, ActionId: xs:positiveInteger, so any
    size) is applied through the dispatcher: the answer is a documented refusal (NotFound,
    Conflict, ServiceError), never an overflow of the database integer."""
    from stts.db import database
    from stts.models import User
    from stts.services import NotFound, ServiceError
    from stts.xml import dispatcher

    data = {"DossierId": str(dossier_id), "Reason": "CUSTOMER_REQUEST",
            "EffectiveDate": "2030-01-01", "CustomerNumber": "X"}
    if version is not None:
        data["Version"] = str(version)
    if action_id is not None:
        data["ActionId"] = str(action_id)
    sender = User.get(User.username == "lm.alpha")
    with database.atomic() as transaction:
        try:
            dispatcher.apply_message(sender, kind, data)
        except (NotFound, ServiceError):
            pass
        transaction.rollback()
