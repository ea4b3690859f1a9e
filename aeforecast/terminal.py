"""Text from the database printed to an operator's terminal, made harmless.

A key's name or a withdrawal's reason is whatever someone typed; printed raw, an escape code in
it can rewrite the screen (hide a line of `keys list`, retitle the window). Control and
formatting characters are shown as escapes instead, so what is printed is what is stored.
"""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """`text` with every control or format character (ESC, BEL, CR, bidi overrides ...) as
    `\\xNN` / `\\uNNNN`."""
    return "".join(_escape(ch) if unicodedata.category(ch) in ("Cc", "Cf") else ch
                   for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
