"""Where the files of the XML batches live (their limits are settings: stts/config.py)."""
from __future__ import annotations

import os

from flask import current_app


def setting(name: str):
    return current_app.config[name]


def xml_dir() -> str:
    path = os.path.join(current_app.instance_path, "xml")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def file_path(name: str) -> str:
    """The path of a stored batch or response file (random names, never the upload's)."""
    return os.path.join(xml_dir(), os.path.basename(name))
