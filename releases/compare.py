"""Word-level differences between two texts, for editors comparing what they wrote with what is saved."""
import difflib
import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old, new):
    """HTML of ``new`` against ``old``: deleted words in <del>, inserted words in <ins>, the rest as is."""
    old_words, new_words = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(old_words[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(new_words[j1:j2]))}</ins>")
        if op == "equal":
            parts.append(escape("".join(old_words[i1:i2])))
    return mark_safe("".join(parts))
