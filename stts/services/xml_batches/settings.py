"""Limits of the XML batches (overridable in the configuration) and where their files live."""
from __future__ import annotations

import os

from flask import current_app

DEFAULTS = {
    "XML_MAX_BYTES": 64 * 1024 * 1024,
    "XML_MAX_MESSAGES": 200_000,
    "XML_GROUP_SIZE": 200,
    "XML_GROUP_PAUSE": 0.0,  # seconds to wait after each group (tests of a killed worker)
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


def xml_dir() -> str:
    path = os.path.join(current_app.instance_path, "xml")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def file_path(name: str) -> str:
    """The path of a stored batch or response file (random names, never the upload's)."""
    return os.path.join(xml_dir(), os.path.basename(name))
