"""Shared steps for the portal tests: fill in the access-request wizard."""
import io
import re

import pytest

NEW_ENTERPRISE = "0450123451"  # valid, not a demo company
MANAGER_NRN = "85073003328"
SIGNER_NRN = "90051200211"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

MANAGER = {"last_name": "Peeters", "first_name": "Ann", "national_number": "85.07.30-033.28",
           "quality": "worker", "email": "ann.peeters@example.com",
           "phone": "+32 470 12 34 56", "language": "nl"}
SIGNER = {"last_name": "Dubois", "first_name": "Marc", "national_number": "90051200211",
          "quality": "director", "email": "marc.dubois@example.com", "phone": "02 226 88 88",
          "active": "yes"}


@pytest.fixture(autouse=True)
def english(app):
    """Assertions read English text: visitors and demo users see English here."""
    from stts.models import User

    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    User.update(language="en").execute()


def fill_wizard(client, *, enterprise=NEW_ENTERPRISE, name="Delta Telecom", replace=None,
                signer=None, manager=None, category="onss_employer"):
    """Walk every step up to the overview; returns the overview response."""
    assert client.get("/access-request").status_code == 302
    response = client.post("/access-request/category", data={"category": category})
    assert response.status_code == 303, response.get_data(as_text=True)
    response = client.post("/access-request/company",
                           data={"enterprise_number": enterprise, "company_name": name})
    assert response.status_code == 303, response.get_data(as_text=True)
    response = client.post("/access-request/manager", data=manager or MANAGER)
    assert response.status_code == 303, response.get_data(as_text=True)
    data = dict(signer or SIGNER)
    response = client.post("/access-request/signer", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    if replace is not None:
        assert response.headers["Location"].endswith("/access-request/replace")
        response = client.post("/access-request/replace", data={"replace": replace})
        assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/access-request/overview")
    return client.get("/access-request/overview")


def submit_request(client, **kwargs):
    """Fill in and confirm; returns the ticket."""
    fill_wizard(client, **kwargs)
    response = client.post("/access-request/overview", data={"confirm": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get("/access-request/submitted").get_data(as_text=True)
    return re.search(r'class="ticket">([0-9A-Z-]{19})<', page).group(1)


def gazette_file(content=PDF, name="../../etc/evil name.pdf"):
    return (io.BytesIO(content), name)


def request_row(ticket):
    from stts.models import AccessRequest

    return AccessRequest.get(AccessRequest.ticket == ticket)


def agent_approves(make_client, ticket, *, gazette=False):
    """The access agent records the original then approves; returns the agent's client."""
    from tests.conftest import login

    agent = make_client()
    login(agent, "agent.bipt")
    row = request_row(ticket)
    data = {"version": row.version}
    if gazette:
        data["gazette_received"] = "y"
    response = agent.post(f"/backoffice/access-requests/{row.id}/original", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    row = request_row(ticket)
    response = agent.post(f"/backoffice/access-requests/{row.id}/approve",
                          data={"version": row.version})
    assert response.status_code == 303, response.get_data(as_text=True)
    return agent


def read_credentials(app, recipient):
    """The provisional username and password from the newest .eml sent to ``recipient``."""
    import email
    import os
    from email import policy

    outbox = os.path.join(app.instance_path, "outbox")
    for name in sorted(os.listdir(outbox), reverse=True):
        with open(os.path.join(outbox, name), "rb") as handle:
            message = email.message_from_binary_file(handle, policy=policy.default)
        if message["To"] == recipient:
            body = message.get_content()
            username = re.search(r":\s*(lm-[0-9a-f]+|\S+)\s*$", body.split("\n\n")[2].splitlines()[0]).group(1)
            password = body.split("\n\n")[2].splitlines()[1].rsplit(": ", 1)[1].strip()
            return message, username, password
    raise AssertionError(f"no mail to {recipient}")
