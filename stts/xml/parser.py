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

from lxml import etree

from stts.i18n import lazy_gettext as _l

NS = "urn:be:stts:batch:1"
RESPONSE_NS = "urn:be:stts:response:1"
MESSAGE_TYPES = ("Request", "Transfer", "CompleteData", "Modify", "Cease", "CancelAction")
MAX_DEPTH = 3  # Batch / message / field; anything deeper is refused
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


class _Bytes:
    """A file read forward in chunks: finds a token across chunk boundaries, keeps only what
    is not consumed yet (bounded memory), and knows the line of any position."""

    CHUNK = 256 * 1024

    def __init__(self, handle):
        self.handle = handle
        self.buffer = b""
        self.base = 0  # absolute offset of buffer[0]
        self.lines = 1  # line number at buffer[0]
        self.eof = False

    def more(self) -> bool:
        if self.eof:
            return False
        data = self.handle.read(self.CHUNK)
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def drop(self, upto: int) -> None:
        """Forget buffer[:upto] (already scanned)."""
        if upto > 0:
            self.lines += self.buffer.count(b"\n", 0, upto)
            self.buffer = self.buffer[upto:]
            self.base += upto

    def find(self, token: bytes, start: int, limit: int | None = None) -> int:
        """Index of ``token`` at or after ``start``; -1 at the end of the file, or once
        ``limit`` bytes after ``start`` hold no token. Bytes before ``start`` are kept."""
        searched = start
        while True:
            found = self.buffer.find(token, searched)
            if found >= 0:
                return found if limit is None or found - start <= limit else -1
            if limit is not None and len(self.buffer) - start > limit:
                return -1
            searched = max(start, len(self.buffer) - len(token) + 1)
            if not self.more():
                return -1

    def skip_to(self, token: bytes, start: int) -> int:
        """Consume everything up to the end of ``token`` (a comment's or a CDATA section's
        end, which may be far away), holding only one chunk at a time; -1 if never found."""
        self.drop(start)
        searched = 0
        while True:
            found = self.buffer.find(token, searched)
            if found >= 0:
                return found + len(token)
            keep = max(0, len(self.buffer) - len(token) + 1)
            self.drop(keep)
            searched = 0
            if not self.more():
                return -1

    def ensure(self, position: int, count: int) -> None:
        while len(self.buffer) < position + count and self.more():
            pass

    def line_of(self, position: int) -> int:
        return self.lines + self.buffer.count(b"\n", 0, position)

    def column_of(self, position: int) -> int:
        return position - self.buffer.rfind(b"\n", 0, position)


def _doctype_error(source: _Bytes, position: int) -> BatchFormatError:
    return BatchFormatError(
        _l("A DOCTYPE (document type declaration) is not allowed in a batch file."),
        source.line_of(position), source.column_of(position), code="doctype_forbidden")


def check_prolog(path: str) -> None:
    """Refuse, without parsing, a file that is empty, not UTF-8 or carries a DOCTYPE. The
    whole prolog is read (however much whitespace, comments and processing instructions come
    before the root element), one chunk at a time."""
    with open(path, "rb") as handle:
        source = _Bytes(handle)
        source.ensure(0, 4)
        head = source.buffer
        if not head.strip():
            while not source.buffer.strip() and not source.eof:
                source.drop(len(source.buffer))
                source.more()
            if not source.buffer.strip():
                raise BatchFormatError(_l("The file is empty."), code="empty")
            head = source.buffer
        if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")) or \
                b"\x00" in head[:4]:
            raise BatchFormatError(_l("The file must be encoded in UTF-8."), 1, 1,
                                   code="encoding")
        position = 3 if head.startswith(b"\xef\xbb\xbf") else 0
        first = True
        while True:
            source.ensure(position, 1)
            while position < len(source.buffer) and source.buffer[position] in b" \t\r\n":
                position += 1
                if position == len(source.buffer):
                    source.drop(position)
                    position = 0
                    source.more()
            source.ensure(position, 9)
            buffer = source.buffer
            if buffer.startswith(b"<?", position):
                end = source.find(b"?>", position, limit=PROLOG_LIMIT)
                if end < 0:
                    break
                declaration = source.buffer[position:end]
                match = _DECL_ENCODING.search(declaration) if first else None
                if match and match.group(1).lower() not in (b"utf-8", b"utf8"):
                    raise BatchFormatError(_l("The file must be encoded in UTF-8."), 1, 1,
                                           code="encoding")
                position = end + 2
            elif buffer.startswith(b"<!--", position):
                position = source.skip_to(b"-->", position)
                if position < 0:
                    break
            elif buffer.startswith(b"<!", position):
                raise _doctype_error(source, position)
            else:
                return
            first = False
    raise BatchFormatError(_l("The beginning of the file is not a valid XML document."), 1, 1)


# --- before parsing: the structure ------------------------------------------------------------

MAX_TAG_BYTES = 4096  # the longest start tag the schema needs is about 100 bytes
MAX_NAMESPACE_DECLARATIONS = 4  # per start tag (xmlns, xmlns:b, ...)
_ATTRIBUTE = re.compile(rb"""([^\s=<>/"']+)\s*=\s*(?:"[^"]*"|'[^']*')""")
_NAME_END = re.compile(rb"[\s/]")
_XS = "{http://www.w3.org/2001/XMLSchema}"


@dataclass(frozen=True)
class Limits:
    """What the schema allows: attributes and child elements of each element, its depth."""
    attributes: dict  # local name -> frozenset of attribute names
    children: dict  # local name -> most child elements (None: unbounded, the Batch)
    depth: int


@functools.cache
def limits() -> Limits:
    """Read once from the batch schema, so a new field raises the bound with it."""
    document = etree.parse(schema_path("batch"), etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False))
    root = document.getroot()
    groups = {g.get("name"): g for g in root.findall(_XS + "group")}

    def count(node) -> int | None:
        total = 0
        for particle in node.iter(_XS + "element", _XS + "group"):
            if particle is node:
                continue
            if particle.get("maxOccurs") == "unbounded" or any(
                    a.get("maxOccurs") == "unbounded"
                    for a in particle.iterancestors(_XS + "choice", _XS + "sequence")):
                return None
            if particle.tag == _XS + "group":
                total += count(groups[particle.get("ref").split(":")[-1]])
            else:
                total += int(particle.get("maxOccurs") or 1)
        return total

    attributes, children = {}, {}
    for element in root.findall(_XS + "element"):
        name = element.get("name")
        attributes[name] = frozenset(a.get("name") for a in element.iter(_XS + "attribute"))
        complex_type = element.find(_XS + "complexType")
        children[name] = count(complex_type) if complex_type is not None else 0
    return Limits(attributes, children, depth=3)  # Batch / message / field


def _local_name(qualified: bytes) -> str:
    return qualified.rsplit(b":", 1)[-1].decode("utf-8", "replace")


def check_structure(path: str) -> None:
    """Count, before lxml builds anything, what the schema bounds: every start tag's length and
    attributes (only the schema's attributes, a few namespace declarations), the depth, the
    child elements of each message. A start tag with a million attributes is refused after
    reading MAX_TAG_BYTES of it, holding one chunk of the file; a DOCTYPE anywhere is refused
    too. Well-formedness itself is left to the parser."""
    bounds = limits()
    with open(path, "rb") as handle:
        source = _Bytes(handle)
        stack: list[list] = []  # [local name, children seen]
        position = 0
        while True:
            at = source.find(b"<", position)
            if at < 0:
                return
            if at > _Bytes.CHUNK:  # forget what was scanned, not at every tag (a copy)
                source.drop(at)
                at = 0
            source.ensure(at, 9)
            buffer = source.buffer
            if buffer.startswith(b"<!--", at):
                position = source.skip_to(b"-->", at)
            elif buffer.startswith(b"<![CDATA[", at):
                position = source.skip_to(b"]]>", at)
            elif buffer.startswith(b"<?", at):
                position = source.skip_to(b"?>", at)
            elif buffer.startswith(b"<!", at):
                raise _doctype_error(source, at)
            elif buffer.startswith(b"</", at):
                end = source.find(b">", at, limit=MAX_TAG_BYTES)
                if end < 0:
                    _refuse_tag(source, at)
                if stack:
                    stack.pop()
                position = end + 1
            else:
                position = _start_tag(source, at, stack, bounds)
            if position < 0:
                return  # an unfinished comment or section: the parser says where


def _refuse_tag(source: _Bytes, at: int):
    line = source.line_of(at)
    raise BatchFormatError(
        _l("An element's tag is too long or has too many attributes (line %(line)s).",
           line=line), line, source.column_of(at), code="too_large")


def _start_tag(source: _Bytes, at: int, stack: list, bounds: Limits) -> int:
    """Check the start tag at ``at``; the position after it."""
    end = source.find(b">", at, limit=MAX_TAG_BYTES)
    if end < 0:
        _refuse_tag(source, at)
    tag = source.buffer[at + 1:end]
    self_closing = tag.endswith(b"/")
    space = _NAME_END.search(tag)
    name_end = space.start() if space else len(tag)
    name = _local_name(tag[:name_end])
    if stack:
        parent = stack[-1]
        parent[1] += 1
        most = bounds.children.get(parent[0], 0)
        if most is not None and parent[1] > most:
            raise BatchFormatError(
                _l("The element %(name)s has more child elements than the schema allows.",
                   name=parent[0][:100]), source.line_of(at), source.column_of(at),
                code="schema")
    if len(stack) >= bounds.depth:
        raise BatchFormatError(_l("The file is nested too deeply."), source.line_of(at),
                               source.column_of(at), code="too_deep")
    if name_end < len(tag):
        _check_attributes(source, at, tag, name_end, name,
                          bounds.attributes.get(name, _NONE) if len(stack) == 1 else _NONE)
    if not self_closing:
        stack.append([name, 0])
    return end + 1


def _check_attributes(source: _Bytes, at: int, tag: bytes, name_end: int, name: str,
                      allowed: frozenset) -> None:
    declarations = seen = 0
    for match in _ATTRIBUTE.finditer(tag, name_end):
        attribute = match.group(1)
        if attribute == b"xmlns" or attribute.startswith(b"xmlns:"):
            declarations += 1
            if declarations > MAX_NAMESPACE_DECLARATIONS:
                _refuse_tag(source, at)
            continue
        seen += 1
        if attribute.decode("utf-8", "replace") not in allowed or seen > len(allowed):
            raise BatchFormatError(
                _l("Unexpected attribute %(attribute)s on the element %(name)s.",
                   attribute=attribute.decode("utf-8", "replace")[:100], name=name[:100]),
                source.line_of(at), source.column_of(at), code="schema")


_NONE = frozenset()
_MESSAGE_ATTRIBUTES = {name: frozenset({"messageId"}) for name in MESSAGE_TYPES}


# --- streaming --------------------------------------------------------------------------------

def _parse_events(path: str):
    return etree.iterparse(
        path, events=("start", "end"), resolve_entities=False, no_network=True,
        load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True,
        remove_pis=True, recover=False, remove_blank_text=False,
    )


def local(tag) -> str:
    return tag[len(_Q):] if isinstance(tag, str) and tag.startswith(_Q) else str(tag)


def iter_children(path: str, *, structure: bool = True):
    """Yield each child element of the batch root once complete (then cleared). Refuses a
    DOCTYPE, foreign elements, text between elements and excessive nesting; with
    ``structure`` every count the schema bounds is checked first (``check_structure``)."""
    check_prolog(path)
    if structure:
        check_structure(path)
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
                elif set(elem.attrib) - (_MESSAGE_ATTRIBUTES.get(local(elem.tag), _NONE)
                                         if depth == 2 else _NONE):
                    name = sorted(set(elem.attrib) - _MESSAGE_ATTRIBUTES.get(
                        local(elem.tag), _NONE))[0] if depth == 2 else sorted(elem.attrib)[0]
                    raise BatchFormatError(
                        _l("Unexpected attribute %(attribute)s on the element %(name)s.",
                           attribute=str(name)[:100], name=local(elem.tag)[:100]),
                        elem.sourceline, code="schema")
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
    for elem in iter_children(path, structure=validate):
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
