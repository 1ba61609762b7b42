"""Markdown -> WhatsApp markup, for everything Ignacio writes to WhatsApp.

WhatsApp knows ``*bold*``, ``_italic_``, ``~strike~``, ```` ```mono``` ````, `` `code` ``,
``- `` lists, numbered lists and ``> `` quotes; it shows anything else literally. So headings
become bold lines, tables become one plain line per row and links show their URL in brackets.
Fenced code is left untouched. ``render.py`` applies it to typed answers and ``formatting.py``
splits the result into sendable parts.
"""

from __future__ import annotations

import re

__all__ = ["inline_to_whatsapp", "to_whatsapp"]

_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<image>!\[(?P<img_alt>[^\]\n]*)\]\((?P<img_url>[^)\s]+)(?:\s+\"[^\"\n]*\")?\))"
    r"|(?P<link>\[(?P<link_text>[^\]\n]+)\]\((?P<link_url>[^)\s]+)(?:\s+\"[^\"\n]*\")?\))"
    r"|(?P<autolink><(?P<auto_url>https?://[^>\s]+)>)"
    r"|(?P<bolditalic>\*\*\*(?=\S)(?P<bi>.+?)(?<=\S)\*\*\*)"
    r"|(?P<bold>\*\*(?=\S)(?P<b>.+?)(?<=\S)\*\*)"
    r"|(?P<ubold>(?<!\w)__(?=\S)(?P<ub>.+?)(?<=\S)__(?!\w))"
    r"|(?P<strike>~~(?=\S)(?P<s>.+?)(?<=\S)~~)"
    r"|(?P<italic>(?<![\w*])\*(?=[^\s*])(?P<i>[^*\n]+?)(?<=[^\s*])\*(?![\w*]))"
)
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_BULLET = re.compile(r"^(?P<indent>\s*)[*+-]\s+(?P<rest>.*)$")
_QUOTE = re.compile(r"^(?P<marks>\s*(?:>\s?)+)(?P<rest>.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_EMPHASIS_MARKERS = re.compile(r"\*\*|__")


def to_whatsapp(markdown: str) -> str:
    """Markdown-ish text -> WhatsApp formatting. Fenced code is left untouched."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    in_code = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            out.append("```")  # WhatsApp would print a language tag literally
            in_code = not in_code
            i += 1
            continue
        if in_code:
            out.append(line)
            i += 1
            continue
        if "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            i = _table(lines, i, out)
            continue
        out.append(_line(line))
        i += 1
    text = "\n".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _line(line: str) -> str:
    line = line.rstrip()
    if not line.strip():
        return ""
    if _RULE.match(line):
        return ""
    heading = _HEADING.match(line)
    if heading:
        text = _inline(_EMPHASIS_MARKERS.sub("", heading["text"])).strip("*")
        return f"*{text}*" if text else ""
    bullet = _BULLET.match(line)
    if bullet:
        return f"{bullet['indent']}- {_inline(bullet['rest'])}"
    quote = _QUOTE.match(line)
    if quote:
        return f"> {_inline(quote['rest'])}"
    return _inline(line)


def _inline(text: str) -> str:
    return _INLINE.sub(_inline_match, text)


def _inline_match(m: re.Match[str]) -> str:
    if m["code"]:
        return m["code"]
    if m["image"]:
        alt = m["img_alt"].strip()
        return f"{alt} ({m['img_url']})" if alt else m["img_url"]
    if m["link"]:
        text, url = _inline(m["link_text"]), m["link_url"]
        return url if text.strip() in (url, "") else f"{text} ({url})"
    if m["autolink"]:
        return m["auto_url"]
    if m["bolditalic"]:
        return f"*_{_inline(m['bi'])}_*"
    if m["bold"]:
        return f"*{_inline(m['b'])}*"
    if m["ubold"]:
        return f"*{_inline(m['ub'])}*"
    if m["strike"]:
        return f"~{_inline(m['s'])}~"
    return f"_{_inline(m['i'])}_"


def _table(lines: list[str], start: int, out: list[str]) -> int:
    """Render a pipe table starting at ``start`` as plain lines; return the next line index."""
    header = _cells(lines[start])
    out.append("*" + " · ".join(_EMPHASIS_MARKERS.sub("", c) for c in header) + "*")
    i = start + 2
    while i < len(lines) and "|" in lines[i] and lines[i].strip():
        out.append(" · ".join(_inline(c) for c in _cells(lines[i])))
        i += 1
    return i


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row.removeprefix("|").removesuffix("|")
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]


def inline_to_whatsapp(text: str) -> str:
    """One line of Markdown (no block structure) in WhatsApp markup."""
    return _inline(text)
