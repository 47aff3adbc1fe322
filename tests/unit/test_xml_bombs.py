"""Checklist 36: the batch reader bounds every count before lxml builds anything and before
schema validation — attributes, namespace declarations, child elements, depth, tag length —
and checks the whole prolog. The attack files are built here; the memory of a reader that
goes through all of them is measured in a subprocess (peak RSS), as the worker would see it."""
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from stts.xml.parser import BatchFormatError, check_prolog, limits, read_batch
from tests.web.xml_helpers import batch_xml

NS = "urn:be:stts:batch:1"
HEADER = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Batch xmlns="{NS}">\n<Header>'
          "<EnterpriseNumber>0403019261</EnterpriseNumber><BatchId>B-1</BatchId>"
          "<CreatedAt>2025-03-01T09:00:00Z</CreatedAt></Header>\n").encode()
REQUEST_BODY = b"<NationalNumber>85073003328</NationalNumber><Category>AGE65</Category>"


def _attribute_bomb(count=1_000_000) -> bytes:
    """One message with a million attributes (the reported 10.9 MB file)."""
    attributes = b" ".join(b'a%d="1"' % i for i in range(count))
    return (HEADER + b'<Request messageId="m-1" ' + attributes + b">" + REQUEST_BODY
            + b"</Request>\n</Batch>\n")


def _namespace_bomb(count=1_000_000) -> bytes:
    declarations = b" ".join(b'xmlns:n%d="urn:x:%d"' % (i, i) for i in range(count))
    return HEADER.replace(b"<Batch ", b"<Batch " + declarations + b" ") + b"</Batch>\n"


def _element_bomb(count=1_000_000) -> bytes:
    """One message with a million (empty) fields: the schema allows twelve."""
    return (HEADER + b'<Request messageId="m-1">' + REQUEST_BODY + b"<LastName/>" * count
            + b"</Request>\n</Batch>\n")


def _long_value(size=9_000_000) -> bytes:
    return (HEADER + b'<Request messageId="' + b"x" * size + b'">' + REQUEST_BODY
            + b"</Request>\n</Batch>\n")


def _unexpected_attribute() -> bytes:
    return HEADER + b'<Request messageId="m-1" extra="1">' + REQUEST_BODY + b"</Request></Batch>"


def _attribute_on_a_field() -> bytes:
    return (HEADER + b'<Request messageId="m-1"><NationalNumber a="1">85073003328'
            b"</NationalNumber><Category>AGE65</Category></Request></Batch>")


def _late_doctype(padding=70 * 1024) -> bytes:
    """A DOCTYPE after more than 64 KB of comments: it used to be accepted and stored."""
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- ' + b"p" * padding + b" -->\n"
            b'<!DOCTYPE Batch [<!ENTITY x "x">]>\n' + HEADER.split(b"\n", 1)[1] + b"</Batch>")


ATTACKS = {"attributes": (_attribute_bomb, "too_large"),
           "namespaces": (_namespace_bomb, "too_large"),
           "elements": (_element_bomb, "schema"),
           "long-value": (_long_value, "too_large"),
           "unexpected-attribute": (_unexpected_attribute, "schema"),
           "attribute-on-a-field": (_attribute_on_a_field, "schema"),
           "late-doctype": (_late_doctype, "doctype_forbidden")}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_count_beyond_the_schema_is_refused_before_validation(app, tmp_path, name,
                                                                     monkeypatch):
    build, code = ATTACKS[name]
    path = tmp_path / "batch.xml"
    path.write_bytes(build())
    validated = []
    monkeypatch.setattr("stts.xml.parser.validate_element",
                        lambda elem, path=None: validated.append(elem.tag))
    started = time.perf_counter()
    with pytest.raises(BatchFormatError) as caught:
        list(read_batch(str(path)))
    assert caught.value.code == code, (name, caught.value.code, str(caught.value.message))
    assert caught.value.line is not None
    assert time.perf_counter() - started < 10
    assert validated == []  # refused before any subtree reached the schema


def test_the_whole_prolog_is_checked(app, tmp_path):
    for padding in (10, 70 * 1024, 3 * 1024 * 1024):
        path = tmp_path / "late.xml"
        path.write_bytes(_late_doctype(padding))
        with pytest.raises(BatchFormatError) as caught:
            check_prolog(str(path))
        assert caught.value.code == "doctype_forbidden" and caught.value.line == 3
    blank = tmp_path / "blank.xml"
    blank.write_bytes(b" \n" * 200_000 + b'<!DOCTYPE x><Batch xmlns="%s"/>' % NS.encode())
    with pytest.raises(BatchFormatError) as caught:
        check_prolog(str(blank))
    assert caught.value.code == "doctype_forbidden" and caught.value.line == 200_001


def test_late_doctype_is_refused_at_upload_and_not_stored(app, client, tmp_path):
    from stts.models import User, XmlBatch
    from stts.services.xml_batches import intake
    from tests.web.xml_helpers import enable_xml

    enable_xml()
    import io

    with pytest.raises(intake.BatchRefused) as caught:
        intake.receive_batch(io.BytesIO(_late_doctype()),
                             user=User.get(User.username == "lm.alpha"), enqueue=False)
    assert caught.value.code == "doctype_forbidden"
    assert XmlBatch.select().count() == 0
    folder = os.path.join(app.instance_path, "xml")
    assert not os.path.isdir(folder) or os.listdir(folder) == []


def test_the_limits_come_from_the_schema(app):
    bounds = limits()
    assert bounds.children["Request"] == 12 and bounds.children["Header"] == 3
    assert bounds.children["Batch"] is None  # messages: bounded by XML_MAX_MESSAGES
    assert bounds.attributes["Modify"] == {"messageId"} and bounds.attributes["Batch"] == set()


def test_a_large_valid_batch_still_reads(app, tmp_path):
    messages = [f'<Request messageId="v-{i}"><NationalNumber>85073003328</NationalNumber>'
                '<Category>AGE65</Category><LastName>A</LastName><FirstName>B</FirstName>'
                '<Street>S 1</Street><Postcode>1000</Postcode><City>C</City>'
                '<Service>FIXED</Service><PhoneNumber>+3222268888</PhoneNumber>'
                '<CustomerNumber>C</CustomerNumber><TariffFormula>T</TariffFormula>'
                '<InstallationCosts>1.00</InstallationCosts></Request>' for i in range(5000)]
    path = tmp_path / "big.xml"
    path.write_bytes(batch_xml(*messages).replace(b"<Batch ", b'<Batch xmlns:b="urn:x" '))
    items = list(read_batch(str(path)))
    assert len(items) == 5001


SCRIPT = textwrap.dedent("""
    import json, sys
    from stts.xml.parser import BatchFormatError, read_batch
    codes = []
    for path in sys.argv[1:]:
        try:
            list(read_batch(path))
            codes.append("accepted")
        except BatchFormatError as error:
            codes.append(error.code)
    # VmHWM: this process's peak resident memory since exec (ru_maxrss would carry the
    # parent's peak over the fork).
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({"codes": codes, "peak_mb": peak / 1024}))
""")


def test_worker_memory_stays_bounded_for_a_million_attributes(app, tmp_path):
    """The reported attack: 10.9 MB, one million attributes; the worker went from 368 MB to
    1.7 GB. The reader now holds one chunk and one bounded tag: the whole process, Python and
    lxml included, peaks far below 200 MB for every bomb."""
    paths = []
    for name in ("attributes", "namespaces", "elements", "long-value"):
        path = tmp_path / f"{name}.xml"
        path.write_bytes(ATTACKS[name][0]())
        paths.append(str(path))
    assert os.path.getsize(paths[0]) > 10_000_000
    done = subprocess.run([sys.executable, "-c", SCRIPT, *paths], capture_output=True,
                          text=True, timeout=120, cwd=os.getcwd())
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["codes"] == ["too_large", "too_large", "schema", "too_large"]
    assert report["peak_mb"] < 200, report
