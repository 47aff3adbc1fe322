"""The import contract of stts/ (``make lint`` runs this file): the layers of the house
(README, "Layout") hold, and the import graph has no cycle.

Read from the source with ``ast``, so every import counts, also one inside a function: a
deferred import cannot hide a cycle or a forbidden dependency."""
from __future__ import annotations

import ast
import pathlib
from collections import defaultdict

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "stts"

# What each layer may not import (module prefixes, and names taken from a module).
REQUEST_STATE = {("flask", "request"), ("flask", "session"), ("flask", "g"),
                 ("flask_login", "current_user")}
WEB = ("stts.blueprints", "stts.permissions", "stts.auth", "stts.htmx", "stts.render",
       "stts.forms", "stts.app", "stts.search_address")
RULES = {
    # layer prefix: (forbidden module prefixes, forbidden (module, name) imports)
    "stts.services": (WEB, REQUEST_STATE),
    "stts.models": (WEB + ("stts.services", "stts.worker", "stts.eligibility"), REQUEST_STATE),
    "stts.xml": (WEB, REQUEST_STATE),
    "stts.rights": (WEB + ("stts.services",), REQUEST_STATE),
    "stts.labels": (WEB + ("stts.services",), REQUEST_STATE),
    "stts.eligibility": (WEB, REQUEST_STATE),
    # The queue itself and the job lifecycle know no service: services enqueue by name.
    "stts.worker.__init__": (WEB + ("stts.services", "stts.worker.tasks"), REQUEST_STATE),
    "stts.worker.runner": (WEB + ("stts.services", "stts.worker.tasks"), REQUEST_STATE),
    "stts.worker.tasks": (WEB, REQUEST_STATE),
}
# Third-party imports that are deferred on purpose (optional, heavy, and not a cycle).
DEFERRED_ALLOWED = {("stts.db", "playhouse.pool")}


def _read_package() -> dict[str, str]:
    """Module name → source; a package's own module is named ``<package>.__init__``."""
    return {".".join(path.relative_to(ROOT).with_suffix("").parts): path.read_text("utf-8")
            for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts}


MODULES = _read_package()


def _package_of(name: str) -> str:
    return name.removesuffix(".__init__") if name.endswith(".__init__") else \
        name.rpartition(".")[0]


def _resolve(modules, module: str) -> str | None:
    """The stts module a dotted name stands for (a package is its __init__)."""
    if module in modules:
        return module
    if f"{module}.__init__" in modules:
        return f"{module}.__init__"
    return None


def _imports(name: str, source: str):
    """(imported module, imported name or None, deferred?) for every import statement."""
    tree = ast.parse(source)
    deferred_nodes = {id(node) for function in ast.walk(tree)
                      if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
                      for node in ast.walk(function)}
    package = _package_of(name)
    for node in ast.walk(tree):
        deferred = id(node) in deferred_nodes
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, deferred
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                yield base, alias.name, deferred


def _edges(modules) -> dict[str, set[str]]:
    """stts module → the stts modules it imports (``from pkg import submodule`` counts as
    the submodule; the implicit import of a parent package does not)."""
    edges = defaultdict(set)
    for name, source in modules.items():
        for module, imported, _deferred in _imports(name, source):
            target = _resolve(modules, f"{module}.{imported}") if imported else None
            target = target or _resolve(modules, module)
            if target and target != name:
                edges[name].add(target)
    return edges


def _cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_modules_to_check():
    assert "stts.services.audit" in MODULES and "stts.app" in MODULES


def test_no_import_cycle_in_stts():
    assert _cycles(_edges(MODULES)) == []


def test_no_deferred_import_of_an_stts_module():
    deferred = sorted(
        f"{name}: {module}"
        for name, source in MODULES.items()
        for module, _imported, is_deferred in _imports(name, source)
        if is_deferred and (module.startswith("stts") or (name, module) not in DEFERRED_ALLOWED)
    )
    assert deferred == []


def _violations(modules, layer: str) -> list[str]:
    forbidden_modules, forbidden_names = RULES[layer]
    found = []
    for name, source in modules.items():
        if not (name == layer or name.startswith(layer + ".")):
            continue
        for module, imported, _deferred in _imports(name, source):
            full = f"{module}.{imported}" if imported else module
            if any(full == prefix or full.startswith(prefix + ".")
                   or module == prefix or module.startswith(prefix + ".")
                   for prefix in forbidden_modules):
                found.append(f"{name} imports {full}")
            if (module, imported) in forbidden_names:
                found.append(f"{name} imports {imported} from {module}")
    return found


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_keeps_its_contract(layer):
    assert _violations(MODULES, layer) == []


def test_the_contract_finds_what_it_forbids():
    """The checker itself: a service that reads the request and imports a blueprint, and two
    modules importing each other (one of them inside a function), are found."""
    modules = dict(MODULES)
    modules["stts.services.bad"] = ("from flask import request\n"
                                    "from stts.blueprints.desk import bp\n")
    modules["stts.services.ping"] = "def f():\n    from stts.services.pong import g\n"
    modules["stts.services.pong"] = "from stts.services.ping import f\n"
    violations = _violations(modules, "stts.services")
    assert "stts.services.bad imports request from flask" in violations
    assert "stts.services.bad imports stts.blueprints.desk.bp" in violations
    assert ["stts.services.ping", "stts.services.pong"] in _cycles(_edges(modules))
