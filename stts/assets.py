"""The one script from elsewhere: htmx, vendored (committed with its licence beside it).

Its version is written here only; the page loads it with this Subresource Integrity hash,
and a test checks that the committed file still has it."""
HTMX_VERSION = "2.0.11"
HTMX_FILE = f"vendor/htmx-{HTMX_VERSION}.min.js"
HTMX_INTEGRITY = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
