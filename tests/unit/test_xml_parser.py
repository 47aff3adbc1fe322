"""The hardened streaming parser and the schemas: examples valid, hostile input refused."""
import glob
import os

import pytest
from lxml import etree

from stts.xml.parser import BatchFormatError, Header, Message, check_prolog, read_batch, schema
from tests.web.test_xml_api import DEEP, EXTERNAL_DTD, LAUGHS, QUADRATIC, XINCLUDE, XXE
from tests.web.xml_helpers import batch_xml

EXAMPLES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                                         "examples", "*.xml")))


def _write(tmp_path, content: bytes, name="batch.xml") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_there_is_an_example_per_message_type_and_a_mixed_batch():
    names = {os.path.basename(p) for p in EXAMPLES}
    assert {"request.xml", "transfer.xml", "complete-data.xml", "modify.xml", "cease.xml",
            "cancel-action.xml", "mixed.xml"} <= names


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "response" not in p],
                         ids=os.path.basename)
def test_examples_are_valid_batches(app, path):
    document = etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True))
    assert schema("batch").validate(document), schema("batch").error_log
    items = list(read_batch(path))
    assert isinstance(items[0], Header) and items[0].enterprise_number == "0403019261"
    assert all(isinstance(m, Message) for m in items[1:]) and len(items) > 1


def test_response_example_is_valid():
    path = os.path.join(os.path.dirname(EXAMPLES[0]), "response.xml")
    document = etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True))
    assert schema("response").validate(document), schema("response").error_log


def test_messages_are_read_in_order_with_their_fields(app, tmp_path):
    content = batch_xml('<Cease messageId="c1"><DossierId>7</DossierId><Reason>OTHER</Reason>'
                        '<EffectiveDate>2025-01-01</EffectiveDate></Cease>',
                        '<Modify messageId="m1"><DossierId>8</DossierId></Modify>')
    items = list(read_batch(_write(tmp_path, content)))
    assert [(m.seq, m.kind, m.message_id) for m in items[1:]] == [(1, "Cease", "c1"),
                                                                 (2, "Modify", "m1")]
    assert items[1].data == {"DossierId": "7", "Reason": "OTHER", "EffectiveDate": "2025-01-01"}


@pytest.mark.parametrize("content,code", [
    (LAUGHS, "doctype_forbidden"), (QUADRATIC, "doctype_forbidden"), (XXE, "doctype_forbidden"),
    (EXTERNAL_DTD, "doctype_forbidden"), (XINCLUDE, "schema"), (DEEP, "too_deep"),
    (b"", "empty"), (b"   \n", "empty"),
    ('<?xml version="1.0" encoding="UTF-16"?><Batch/>'.encode("utf-16"), "encoding"),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?><Batch/>', "encoding"),
    (b'<Batch xmlns="urn:be:stts:batch:1"><Header>', "invalid_xml"),
    (b'<Other xmlns="urn:be:stts:batch:1"/>', "invalid_xml"),
    (b'<Batch xmlns="urn:be:stts:batch:1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
     b'xsi:schemaLocation="urn:be:stts:batch:1 http://127.0.0.1:9/evil.xsd"/>', "schema"),
], ids=["laughs", "quadratic", "xxe", "external-dtd", "xinclude", "deep", "empty", "blank",
        "utf16", "latin1", "truncated", "wrong-root", "schema-location"])
def test_hostile_or_broken_files_are_refused(app, tmp_path, content, code):
    path = _write(tmp_path, content)
    with pytest.raises(BatchFormatError) as caught:
        list(read_batch(path))
    assert caught.value.code == code


def test_doctype_refused_before_parsing(app, tmp_path):
    path = _write(tmp_path, b"<!-- c -->\n<?pi x?>\n<!DOCTYPE x>\n<x/>")
    with pytest.raises(BatchFormatError) as caught:
        check_prolog(path)
    assert caught.value.code == "doctype_forbidden" and caught.value.line == 3


def test_schema_error_has_line_and_column(app, tmp_path):
    content = batch_xml('<Request messageId="r1"><NationalNumber>123</NationalNumber>'
                        "<Category>AGE65</Category></Request>")
    with pytest.raises(BatchFormatError) as caught:
        list(read_batch(_write(tmp_path, content)))
    assert caught.value.code == "schema"
    assert (caught.value.line, caught.value.column) == (4, 27)


def test_text_between_messages_is_refused(app, tmp_path):
    content = batch_xml('<Modify messageId="m1"><DossierId>8</DossierId></Modify>junk')
    with pytest.raises(BatchFormatError):
        list(read_batch(_write(tmp_path, content)))


def test_batch_without_message_is_refused(app, tmp_path):
    with pytest.raises(BatchFormatError) as caught:
        list(read_batch(_write(tmp_path, batch_xml())))
    assert caught.value.code == "schema"


def test_memory_stays_flat_elements_are_cleared(app, tmp_path):
    messages = ['<Modify messageId="m%d"><DossierId>%d</DossierId></Modify>' % (i, i + 1)
                for i in range(6000)]
    path = _write(tmp_path, batch_xml(*messages))
    from stts.xml.parser import iter_children

    widest = 0
    for elem in iter_children(path):
        widest = max(widest, len(elem.getparent()))
    # Only the parser's read-ahead (one input chunk) is ever held, not the whole file.
    assert widest < len(messages) / 4


def test_schema_and_syntax_errors_are_sentences_of_the_catalogue_naming_the_element():
    """libxml2's English never reaches a reader: each error becomes a translatable message
    that names the element (and what was expected there)."""
    from stts.xml.parser import schema_problem, syntax_problem

    unexpected = schema_problem("Element '{urn:be:stts:batch:1}Version': This element is not "
                                "expected. Expected is ( {urn:be:stts:batch:1}DossierId ).")
    assert unexpected._args[0] == ("the element %(element)s is not expected here "
                                   "(expected: %(expected)s)")
    assert unexpected._kwargs == {"element": "Version", "expected": "DossierId"}
    value = schema_problem("Element '{urn:be:stts:batch:1}Category': [facet 'enumeration'] "
                           "The value 'AGE6' is not an element of the set {'AGE65'}.")
    assert value._kwargs == {"element": "Category"}
    missing = schema_problem("Element '{urn:x}Request': Missing child element(s). Expected is "
                             "one of ( {urn:x}NationalNumber, {urn:x}Category ).")
    assert missing._kwargs["expected"] == "NationalNumber, Category"
    mismatch = syntax_problem("Opening and ending tag mismatch: Category line 4 and Categ")
    assert mismatch._kwargs == {"element": "Category", "closing": "Categ"}
    assert syntax_problem("something else")._args[0].startswith("the XML")
