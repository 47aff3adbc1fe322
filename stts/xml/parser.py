"""The hardened, streaming reader of batch files.

Defences (security checklist 18): a DOCTYPE is refused outright before parsing (no entity
can be declared, so billion laughs, quadratic blowup, XXE and external DTDs are impossible);
lxml runs with resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False as a
second line; only elements of the batch namespace are accepted (an XInclude element is
refused at once, and XInclude is never processed); the nesting depth is capped; every message
subtree is validated against the application's own XSD (any schemaLocation is ignored).

Memory stays flat: elements are cleared as soon as they are handled.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from lxml import etree

NS = "urn:be:stts:batch:1"
RESPONSE_NS = "urn:be:stts:response:1"
MESSAGE_TYPES = ("Request", "Transfer", "CompleteData", "Modify", "Cease", "CancelAction")
MAX_DEPTH = 6  # Batch / message / field is 3 deep; anything deeper is refused
PROLOG_LIMIT = 64 * 1024
SCHEMA_DIR = os.path.join(os.path.dirname(__file__), "schemas")
_Q = "{%s}" % NS


class BatchFormatError(Exception):
    """The file is refused as a whole; ``message`` is translatable, line/column 1-based."""

    def __init__(self, message, line: int | None = None, column: int | None = None,
                 code: str = "invalid_xml"):
        super().__init__(str(message))
        self.message = message
        self.line = line
        self.column = column
        self.code = code


@functools.cache
def schema(name: str = "batch") -> etree.XMLSchema:
    """The application's own schema (parsed once, with the same hardened parser)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(os.path.join(SCHEMA_DIR, f"{name}.xsd"), parser))


def schema_path(name: str) -> str:
    return os.path.join(SCHEMA_DIR, f"{name}.xsd")


# --- before parsing: the prolog ---------------------------------------------------------------

_DECL_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def check_prolog(path: str) -> None:
    """Refuse, without parsing, a file that is empty, not UTF-8 or carries a DOCTYPE."""
    with open(path, "rb") as handle:
        head = handle.read(PROLOG_LIMIT)
    if not head.strip():
        raise BatchFormatError(_l("The file is empty."), code="empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")) or \
            b"\x00" in head[:4]:
        raise BatchFormatError(_l("The file must be encoded in UTF-8."), 1, 1, code="encoding")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    position = 0
    while True:
        while position < len(head) and head[position:position + 1] in b" \t\r\n":
            position += 1
        if head.startswith(b"<?", position):
            end = head.find(b"?>", position)
            if end < 0:
                break
            declaration = head[position:end]
            match = _DECL_ENCODING.search(declaration) if position == 0 else None
            if match and match.group(1).lower() not in (b"utf-8", b"utf8"):
                raise BatchFormatError(_l("The file must be encoded in UTF-8."), 1, 1,
                                       code="encoding")
            position = end + 2
        elif head.startswith(b"<!--", position):
            end = head.find(b"-->", position)
            if end < 0:
                break
            position = end + 3
        elif head.startswith(b"<!", position):
            line = head.count(b"\n", 0, position) + 1
            raise BatchFormatError(
                _l("A DOCTYPE (document type declaration) is not allowed in a batch file."),
                line, position - head.rfind(b"\n", 0, position), code="doctype_forbidden")
        else:
            return
    raise BatchFormatError(_l("The beginning of the file is not a valid XML document."), 1, 1)


# --- streaming --------------------------------------------------------------------------------

def _parse_events(path: str):
    return etree.iterparse(
        path, events=("start", "end"), resolve_entities=False, no_network=True,
        load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True,
        remove_pis=True, recover=False, remove_blank_text=False,
    )


def local(tag) -> str:
    return tag[len(_Q):] if isinstance(tag, str) and tag.startswith(_Q) else str(tag)


def iter_children(path: str):
    """Yield each child element of the batch root once complete (then cleared). Refuses a
    DOCTYPE, foreign elements, text between elements and excessive nesting."""
    check_prolog(path)
    depth = 0
    root = None
    try:
        for event, elem in _parse_events(path):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = elem
                    if elem.getroottree().docinfo.doctype:
                        raise BatchFormatError(_l("A DOCTYPE (document type declaration) is "
                                                  "not allowed in a batch file."),
                                               elem.sourceline, code="doctype_forbidden")
                    if elem.tag != _Q + "Batch":
                        raise BatchFormatError(
                            _l("The root element must be Batch in the namespace %(ns)s.",
                               ns=NS), elem.sourceline)
                    if len(elem.attrib):
                        raise BatchFormatError(_l("The Batch element takes no attributes."),
                                               elem.sourceline)
                elif depth > MAX_DEPTH:
                    raise BatchFormatError(_l("The file is nested too deeply."),
                                           elem.sourceline, code="too_deep")
                elif not (isinstance(elem.tag, str) and elem.tag.startswith(_Q)):
                    raise BatchFormatError(
                        _l("Unknown element %(name)s: only elements of the batch namespace "
                           "are allowed.", name=str(elem.tag)[:100]), elem.sourceline)
                continue
            depth -= 1
            if depth == 1:
                if (elem.tail or "").strip():
                    raise BatchFormatError(_l("Text is not allowed between messages."),
                                           elem.sourceline)
                yield elem
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                while parent is not None and len(parent) and parent[0] is not elem:
                    del parent[0]
            elif depth == 0 and (elem.text or "").strip():
                raise BatchFormatError(_l("Text is not allowed between messages."),
                                       elem.sourceline)
    except etree.XMLSyntaxError as error:
        line, column = (error.position if error.position else (error.lineno, None))
        raise BatchFormatError(
            _l("The file is not well-formed XML (line %(line)s, column %(column)s): "
               "%(detail)s", line=line, column=column, detail=syntax_problem(error.msg)),
            line, column) from None
    if root is None:
        raise BatchFormatError(_l("The file is empty."), code="empty")


_ELEMENT_IN_ERROR = re.compile(r"Element '(?:\{[^}]*\})?([\w.-]+)'")


def _column_of(path: str, line: int | None, detail: str) -> int | None:
    """libxml2 gives no column for schema errors: find the element's start on its line."""
    match = _ELEMENT_IN_ERROR.search(detail or "")
    if not line or not match:
        return None
    with open(path, "rb") as handle:
        for number, text in enumerate(handle, start=1):
            if number == line:
                found = re.search(rb"<(?:[\w.-]+:)?" + re.escape(match.group(1).encode())
                                  + rb"\b", text)
                return found.start() + 1 if found else None
            if number > line:
                break
    return None


def validate_element(elem, path: str | None = None) -> None:
    """Validate one complete subtree (Header or a message) against the batch schema."""
    checker = schema("batch")
    if checker.validate(elem):
        return
    error = checker.error_log.last_error
    line = error.line or elem.sourceline
    column = error.column or (_column_of(path, line, error.message) if path else None)
    raise BatchFormatError(
        _l("The file does not match the schema (line %(line)s, column %(column)s): "
           "%(detail)s", line=line, column=column or "?", detail=schema_problem(error.message)),
        line, column, code="schema")


_ELEMENT = re.compile(r"Element '(?:\{[^}]*\})?([\w.-]+)'(?:, attribute '([\w.-]+)')?: (.*)", re.S)
_EXPECTED = re.compile(r"Expected is(?: one of)? \( ?(.*?) ?\)")


def syntax_problem(message: str):
    """libxml2's English message about a file that is not XML, as a translatable sentence."""
    mismatch = re.search(r"tag mismatch: ([\w.:-]+) line \d+ and ([\w.:-]+)", message or "")
    if mismatch:
        return _l("the element %(element)s is not closed before the end of %(closing)s",
                  element=mismatch.group(1), closing=mismatch.group(2))
    if "Premature end of data" in (message or "") or "not found" in (message or ""):
        return _l("the file ends before its elements are closed")
    if "Extra content" in (message or ""):
        return _l("there is content after the end of the Batch element")
    return _l("the XML is not written correctly at this place")


def schema_problem(message: str):
    """libxml2's English message as a translatable sentence naming the element (and what
    the schema expected there): readers see it in their language, never libxml2's."""
    found = _ELEMENT.match(message or "")
    if not found:
        return _l("the content does not match the schema")
    element, attribute, rest = found.groups()
    expected = ", ".join(re.sub(r"\{[^}]*\}", "", name).strip()
                         for name in (_EXPECTED.search(rest).group(1).split(",")
                                      if _EXPECTED.search(rest) else []))
    if attribute:
        return _l("the attribute %(attribute)s of the element %(element)s is not valid",
                  attribute=attribute, element=element)
    if "This element is not expected" in rest:
        if expected:
            return _l("the element %(element)s is not expected here (expected: %(expected)s)",
                      element=element, expected=expected)
        return _l("the element %(element)s is not expected here", element=element)
    if "Missing child element" in rest:
        return _l("the element %(element)s is incomplete (missing: %(expected)s)",
                  element=element, expected=expected or "?")
    if "No matching global declaration" in rest:
        return _l("the element %(element)s is unknown", element=element)
    if "facet" in rest or "is not a valid value" in rest or "not accepted" in rest:
        return _l("the value of the element %(element)s is not allowed", element=element)
    return _l("the element %(element)s does not match the schema", element=element)


@dataclass
class Header:
    enterprise_number: str
    batch_id: str
    created_at: datetime | None


@dataclass
class Message:
    seq: int
    kind: str
    message_id: str
    line: int | None
    data: dict


def _header(elem) -> Header:
    values = {local(child.tag): (child.text or "").strip() for child in elem}
    try:
        created = datetime.fromisoformat(values.get("CreatedAt", "").replace("Z", "+00:00"))
    except ValueError:
        created = None
    return Header(values.get("EnterpriseNumber", ""), values.get("BatchId", ""), created)


def read_batch(path: str, *, validate: bool = True):
    """Yield the Header, then every Message in order. With ``validate`` each subtree is
    checked against the schema and the batch's structure is enforced (Header first, at
    least one message, each messageId once)."""
    seq = 0
    seen_header = False
    for elem in iter_children(path):
        name = local(elem.tag)
        if validate:
            validate_element(elem, path)
        if not seen_header:
            if name != "Header":
                raise BatchFormatError(_l("The batch must begin with its Header."),
                                       elem.sourceline, code="schema")
            seen_header = True
            yield _header(elem)
            continue
        if name not in MESSAGE_TYPES:
            raise BatchFormatError(_l("Unexpected element %(name)s.", name=name),
                                   elem.sourceline, code="schema")
        seq += 1
        data = {local(child.tag): (child.text or "").strip() for child in elem}
        yield Message(seq, name, elem.get("messageId", ""), elem.sourceline, data)
    if validate and seq == 0:
        raise BatchFormatError(_l("The batch contains no message."), code="schema")
