"""The query plans of the statements some requests run (for bench/shapes.py's worst shapes).

Reads ``[{"name", "path", "user"}, ...]`` as JSON on stdin; the app is configured by the
environment (the data set's STTS_SQLITE_PATH or DATABASE_URL). Each request is made with
Flask's test client, logged in as its user; every SELECT it runs is caught with its values
and explained (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL). Prints
``{name: [{"sql", "plan"}]}`` as JSON.
"""
from __future__ import annotations

import json
import re
import sys

from stts.app import create_app
from stts.db import database, is_sqlite


def explain(execute, sql: str, params) -> list[str]:
    if is_sqlite():
        return [row[-1] for row in execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
    return [row[0] for row in execute("EXPLAIN " + sql, params).fetchall()]


def main() -> None:
    from bench.generate import BENCH_PASSWORD

    shapes = json.load(sys.stdin)
    app = create_app({"SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False})
    caught = []
    real = database.obj.execute_sql

    def catching(sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            caught.append((sql, tuple(params or ())))
        return real(sql, params, *args, **kwargs)

    database.obj.execute_sql = catching
    clients = {}
    plans = {}
    for shape in shapes:
        client = clients.get(shape["user"])
        if client is None:
            client = clients[shape["user"]] = app.test_client()
            response = client.post("/login", data={"username": shape["user"],
                                                    "password": BENCH_PASSWORD})
            if response.status_code != 302:
                raise SystemExit(f"login of {shape['user']} failed")
        caught.clear()
        if shape.get("method") == "POST":  # a search by national number: posted
            client.post(shape["path"], data=shape["body"], headers={
                "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"})
        else:
            client.get(shape["path"], headers={"HX-Request": "true"})
        statements = [(sql, params) for sql, params in caught
                      if not re.search(r'"(login_session|user_application|application)"', sql)
                      or "dossier" in sql]
        with app.app_context():
            database.connect(reuse_if_open=True)
            plans[shape["name"]] = [{"sql": sql, "plan": explain(real, sql, params)}
                                    for sql, params in statements]
            database.close()
    json.dump(plans, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
