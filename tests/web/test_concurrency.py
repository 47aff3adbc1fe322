"""Many writers at once: no user ever sees "database is locked"; nothing is lost."""
import threading

from stts.models import AuditEvent, User
from stts.services.audit import verify_chain
from tests.conftest import login

WRITERS = 50


def test_fifty_concurrent_writers(app, make_client):
    usernames = [u.username for u in User.select().order_by(User.id)]
    clients = []
    for index in range(WRITERS):
        client = make_client()
        login(client, usernames[index % len(usernames)])
        clients.append(client)
    User.update(language="fr").execute()
    from peewee import fn

    before = AuditEvent.select(fn.COALESCE(fn.MAX(AuditEvent.id), 0)).scalar()
    barrier = threading.Barrier(WRITERS)
    results = [None] * WRITERS

    def write(index):
        barrier.wait()
        language = ("nl", "de", "en")[index % 3]
        response = clients[index].post("/language", data={"language": language, "next": "/home"})
        results[index] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(status == 302 for status, _ in results), [r for r in results if r[0] != 302][:3]
    assert not any("locked" in body for _, body in results)
    # Every user's change was applied and audited, in an intact chain.
    writers = {usernames[i % len(usernames)] for i in range(WRITERS)}
    assert all(User.get(User.username == name).language != "fr" for name in writers)
    changed = AuditEvent.select().where(AuditEvent.action == "user.language_changed",
                                        AuditEvent.id > before)
    assert {event.actor_username for event in changed} == writers
    assert verify_chain() == []
