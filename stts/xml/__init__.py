"""Structured messages (XML batch sending): schemas, the hardened streaming parser and the
dispatcher that applies each message through the desk's services. See docs/xml.md."""
