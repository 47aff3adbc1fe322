"""Checklist 23: national register numbers appear in logs only as a keyed hash."""
import datetime
import logging
import re
import types
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import stts.logging as stts_logging
from stts.identifiers import SEPARATORS, InvalidIdentifier, clean_national_number, national_number
from stts.services.audit import pseudonymize

NRN = "85073003328"


@pytest.mark.parametrize("written", [
    "85073003328",
    "85.07.30-033.28",
    "85%2E07%2E30%2D033%2E28",
    "85 07 30 033 28",
    "85+07+30+033+28",
    "85%2007%2030%20033%2028",
])
def test_every_way_of_writing_the_number_is_hashed(app, written):
    line = stts_logging.redact(f"GET /desk/lookup?national_number={written}&x=1 HTTP/1.1")
    assert "85073003328" not in line.replace(".", "").replace("-", "").replace(" ", "")
    assert "033" not in line
    assert pseudonymize(NRN) in line
    assert line.startswith("GET /desk/lookup?national_number=nrn:") and line.endswith("&x=1 HTTP/1.1")


def test_redacting_twice_changes_nothing_and_short_numbers_stay(app):
    once = stts_logging.redact(f"/desk/dossiers?national_number={NRN}&page=2")
    assert stts_logging.redact(once) == once
    assert stts_logging.redact("/desk/dossiers/123?page=2 200 4512") == "/desk/dossiers/123?page=2 200 4512"
    assert stts_logging.redact("twelve digits 123456789012 are not a number") .count("nrn:") == 0


def test_hash_is_the_audit_trail_pseudonym(app):
    assert stts_logging.hash_number(NRN) == pseudonymize(NRN)
    assert stts_logging.hash_number(NRN, key=b"other") != pseudonymize(NRN)


def test_without_a_key_the_number_is_still_never_clear(monkeypatch):
    monkeypatch.setattr(stts_logging, "_key", None)
    monkeypatch.delenv("STTS_AUDIT_HMAC_KEY", raising=False)
    assert stts_logging.redact(f"q={NRN}") == "q=nrn:redacted"


def test_flask_and_werkzeug_records_are_redacted(app, client, caplog):
    caplog.set_level(logging.INFO)
    app.logger.info("lookup of %s", NRN)
    logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s %s', "127.0.0.1", "27/Nov/2026",
                                       f"GET /desk/lookup?national_number={NRN} HTTP/1.1",
                                       "200", "-")
    logging.getLogger("some.library").warning(f"message built before logging {NRN}")
    text = caplog.text
    assert NRN not in text
    assert text.count(pseudonymize(NRN)) == 3


def test_a_request_logging_its_path_never_shows_the_number(app, client, caplog, monkeypatch):
    """A real request: whatever the app logs about it carries only the hash."""
    from tests.conftest import login

    caplog.set_level(logging.DEBUG)
    # The application is shared by the tests of a worker: the hook is added for this test
    # only, even when an earlier test already sent a request.
    monkeypatch.setattr(app, "_got_first_request", False)

    @app.after_request
    def _log_path(response):  # what an access log does
        from flask import request

        app.logger.info("%s %s", request.method, request.full_path)
        return response

    try:
        login(client, "stts3.alpha")
        client.get(f"/desk/dossiers?national_number={NRN}")  # an old bookmark: redacted
    finally:
        app.after_request_funcs[None].remove(_log_path)
    assert "national_number=nrn:" in caplog.text
    assert NRN not in caplog.text


def test_gunicorn_access_log_line(tmp_path, app):
    """The access log in gunicorn's own format, through the filter gunicorn.conf.py installs."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    logger = Logger(cfg)
    stts_logging.install_gunicorn(logger)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/desk/dossiers?national_number=85.07.30-033.28",
               "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/desk/dossiers",
               "QUERY_STRING": f"national_number={NRN}", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": f"https://stts.example/desk/lookup?national_number={NRN}",
               "HTTP_USER_AGENT": "pytest"}
    response = types.SimpleNamespace(status="200 OK", sent=4512, headers=[])
    request = types.SimpleNamespace(headers=[("X-Forwarded-For", "10.0.0.1")])
    logger.access(response, request, environ, datetime.timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = log_file.read_text()
    assert NRN not in line and "033.28" not in line
    assert line.count(pseudonymize(NRN)) == 2
    assert '"GET /desk/dossiers?national_number=nrn:' in line
    assert " 200 4512 " in line and '"pytest"' in line


def test_a_record_is_redacted_as_the_line_it_prints(app):
    """A record with arguments is rendered once and that line redacted (gunicorn's access
    record carries every header and the environ, of which its format prints a few);
    arguments that do not format are each redacted instead."""
    record = logging.LogRecord("stts", logging.INFO, __file__, 1, "looked up %(n)s in %(t)s",
                               ({"n": NRN, "t": "12 ms", "cookie": "x" * 500},), None)
    stts_logging.RedactNationalNumbers().filter(record)
    assert record.args is None
    assert record.getMessage() == f"looked up {pseudonymize(NRN)} in 12 ms"
    broken = logging.LogRecord("stts", logging.INFO, __file__, 1, "%s and %s", (NRN,), None)
    stts_logging.RedactNationalNumbers().filter(broken)
    assert NRN not in repr(broken.args) and NRN not in broken.msg


def test_gunicorn_conf_installs_the_filter():
    import runpy

    conf = runpy.run_path("gunicorn.conf.py")
    fake = types.SimpleNamespace(access_log=logging.getLogger("test.access"),
                                 error_log=logging.getLogger("test.error"))
    conf["on_starting"](types.SimpleNamespace(log=fake))
    assert any(isinstance(f, stts_logging.RedactNationalNumbers) for f in fake.access_log.filters)
    assert any(isinstance(f, stts_logging.RedactNationalNumbers) for f in fake.error_log.filters)


# Every written form the parser accepts, derived from the parser itself: its separators
# (stts.identifiers.SEPARATORS, what clean_national_number drops) in any run between, before
# and after the digits; kept only when clean_national_number gives the number back.
_RUNS = st.text(alphabet=st.sampled_from(SEPARATORS), max_size=3)
_VALID = st.builds(national_number, st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)),
                   st.integers(1, 998))
_ENCODINGS = {
    "as typed": lambda text: text,
    "browser (quote_plus)": quote_plus,
    "fully encoded": lambda text: quote(text, safe=""),
    "dots and dashes kept": lambda text: quote(text, safe="./-"),
    "lower-case escapes": lambda text: re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(),
                                              quote(text, safe="")),
}


@st.composite
def _written(draw):
    nrn = draw(_VALID)
    text = draw(_RUNS) + "".join(digit + draw(_RUNS) for digit in nrn)
    try:
        accepted = clean_national_number(text)
    except InvalidIdentifier:
        accepted = None
    assume(accepted == nrn)
    return nrn, text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_written(), encoding=st.sampled_from(sorted(_ENCODINGS)),
       field=st.sampled_from(["national_number", "q", "nrn"]))
def test_every_form_the_parser_accepts_is_redacted_in_a_request_line(app, case, encoding, field):
    nrn, written = case
    value = _ENCODINGS[encoding](written)
    line = (f'127.0.0.1 - - [29/Nov/2026:10:00:00 +0000] "GET /desk/dossiers?{field}={value}'
            f'&page=2 HTTP/1.1" 200 5123 "-" "Mozilla/5.0"')
    redacted = stts_logging.redact(line)
    assert pseudonymize(nrn) in redacted
    readable = "".join(char for char in unquote_plus(redacted) if char not in SEPARATORS)
    assert nrn not in readable
    assert redacted.endswith('&page=2 HTTP/1.1" 200 5123 "-" "Mozilla/5.0"')


def test_the_forms_named_in_the_finding_are_redacted(app):
    for written in ("35.01.01 - 020.13", "35 01 01 020 13", "35010102013", "35.01.01-020.13",
                    "35/01/01/020/13", "350101 020 13", "35-01-01-020-13", " 35010102013 ",
                    "35.01.01\u00a0-\u00a0020.13"):
        assert clean_national_number(written) == "35010102013"
        for encoded in (written, quote_plus(written), quote(written, safe="")):
            line = stts_logging.redact(f"GET /desk/dossiers?national_number={encoded} HTTP/1.1")
            assert pseudonymize("35010102013") in line, (written, line)
