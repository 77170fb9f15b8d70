"""Text from people, made safe to keep: one Unicode form, no control characters.

Vietnamese typed with a decomposed-Unicode keyboard setting (Unikey's "Unicode tổ hợp")
looks the same as the composed form but compares unequal, so 'Số tháng' would not match
'Số tháng'. Control characters (Word's soft line break, a terminal escape) cannot be
written into an xlsx cell and would break every later export. Both are normalised where
text enters the workbench, so nothing downstream has to think about them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\t\x0b\x0c\u2028\u2029]+")  # \x0b: Word's soft break


def nfc(value: object) -> object:
    """Text in composed form (NFC); anything else unchanged."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


@lru_cache(maxsize=4096)  # sources repeat on every row of a file
def clean_line(text: str) -> str:
    """One line of text: NFC, line breaks and tabs as spaces, control characters removed."""
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text)).strip()


def control_characters(text: str) -> list[str]:
    """The control characters in `text` (as \\xNN escapes), to name them in a message."""
    return sorted({f"\\x{ord(c):02x}" for c in _CONTROL.findall(text)})
