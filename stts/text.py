"""Text helpers shared by search and storage."""
import unicodedata


def search_key(text: str) -> str:
    """Accent- and case-folded form used for prefix searches on an index."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().strip()


def like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with ``text``; wildcards are escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
