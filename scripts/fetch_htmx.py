"""Fetch the pinned htmx release from the npm registry and check its integrity.

htmx is not committed (nothing fetched from elsewhere lives in git); this script puts the
pinned, integrity-checked file in stts/static/vendor/ with its licence beside it.
"""
import base64
import hashlib
import io
import pathlib
import sys
import tarfile
import urllib.request

VERSION = "2.0.8"
TARBALL = f"https://registry.npmjs.org/htmx.org/-/htmx.org-{VERSION}.tgz"
INTEGRITY = "sha512-fm297iru0iWsNJlBrjvtN7V9zjaxd+69Oqjh4F/Vq9Wwi2kFisLcrLCiv5oBX0KLfOX/zG8AUo9ROMU5XUB44Q=="
VENDOR = pathlib.Path(__file__).resolve().parent.parent / "stts" / "static" / "vendor"
TARGET = VENDOR / f"htmx-{VERSION}.min.js"


def main() -> int:
    if TARGET.exists():
        return 0
    with urllib.request.urlopen(TARBALL, timeout=60) as response:  # noqa: S310 (fixed https URL)
        data = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        print(f"htmx tarball integrity mismatch: {digest}", file=sys.stderr)
        return 1
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        script = tar.extractfile("package/dist/htmx.min.js").read()
        licence = tar.extractfile("package/LICENSE").read()
    (VENDOR / "htmx.LICENSE").write_bytes(licence)
    TARGET.write_bytes(script)
    print(f"htmx {VERSION} installed in {VENDOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
