"""Checks on what each channel is sent: WhatsApp parts and web Markdown.

Each check returns a list of problems (empty = fine), so an evaluator can say exactly what broke.
WhatsApp shows ``*bold*``, ``_italic_``, ``~strike~``, monospace, lists and quotes; anything else
(headings, tables, ``**``, Markdown links) arrives as literal punctuation on the phone. The web
app renders CommonMark plus tables; "valid" here means it parses into the structure the author
meant: fences closed, emphasis closed, headings and tables well formed.
"""

from __future__ import annotations

import re

from channels.whatsapp.formatting import WHATSAPP_TEXT_LIMIT, message_length

_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)+\|?\s*$")
_MD_LINK = re.compile(r"!?\[[^\]\n]+\]\([^)\s]+\)")
_HTML_TAG = re.compile(r"</?(b|i|strong|em|br|p|div|span|h[1-6]|table|tr|td|ul|ol|li)\b[^>]*>", re.I)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_NO_SPACE_HEADING = re.compile(r"^\s{0,3}#{1,6}[^\s#]")
_WORDS = re.compile(r"\S+")


def _outside_code(text: str) -> list[str]:
    """The lines of ``text`` that are not inside fenced code blocks."""
    lines, inside = [], False
    for line in text.split("\n"):
        if _FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            lines.append(line)
    return lines


def whatsapp_part_problems(parts: list[str], full_text: str,
                           limit: int = WHATSAPP_TEXT_LIMIT) -> list[str]:
    """Every part fits one WhatsApp text message, none is empty, and together they lose no word."""
    problems: list[str] = []
    if not parts:
        problems.append("no WhatsApp parts at all")
    for index, part in enumerate(parts, 1):
        size = message_length(part)
        if size > limit:
            problems.append(f"part {index} is {size} characters (limit {limit})")
        if not part.strip():
            problems.append(f"part {index} is empty")
    if _WORDS.findall(" ".join(parts)) != _WORDS.findall(full_text):
        problems.append("the parts do not add up to the whole answer (words lost or reordered)")
    return problems


def whatsapp_format_problems(text: str) -> list[str]:
    """Formatting WhatsApp would show literally (outside monospace blocks)."""
    problems: list[str] = []
    lines = _outside_code(text)
    for number, line in enumerate(lines, 1):
        if _HEADING.match(line):
            problems.append(f"line {number} is a Markdown heading: {line.strip()[:60]!r}")
        if "**" in line or re.search(r"(?<!\w)__\S", line):
            problems.append(f"line {number} uses ** or __ bold: {line.strip()[:60]!r}")
        if _TABLE_SEP.match(line) or (_TABLE_ROW.match(line) and line.count("|") >= 3):
            problems.append(f"line {number} is a Markdown table row: {line.strip()[:60]!r}")
        if _MD_LINK.search(line):
            problems.append(f"line {number} has a Markdown link: {line.strip()[:60]!r}")
        if _HTML_TAG.search(line):
            problems.append(f"line {number} has an HTML tag: {line.strip()[:60]!r}")
    return problems


def code_blocks(text: str) -> list[str]:
    """The contents of the fenced code blocks in ``text``, in order."""
    blocks, current, inside = [], [], False
    for line in text.split("\n"):
        if _FENCE.match(line):
            if inside:
                blocks.append("\n".join(current))
                current = []
            inside = not inside
            continue
        if inside:
            current.append(line)
    return blocks


def code_problems(markdown: str, whatsapp: str) -> list[str]:
    """Code must reach WhatsApp verbatim (a ``# comment`` is not a heading there)."""
    sent = code_blocks(whatsapp)
    problems = []
    for index, block in enumerate(code_blocks(markdown), 1):
        if block not in sent:
            first = next((line for line in block.split("\n") if line.strip()), "")
            problems.append(f"code block {index} changed on its way to WhatsApp (starts {first[:50]!r})")
    return problems


def markdown_problems(markdown: str) -> list[str]:
    """Structural problems in a web answer, using markdown-it-py's CommonMark + table parser."""
    problems: list[str] = []
    if not markdown.strip():
        return ["the Markdown is empty"]
    fences = [line for line in markdown.split("\n") if _FENCE.match(line)]
    if len(fences) % 2:
        problems.append("a code fence is opened and never closed")
    lines = _outside_code(markdown)
    for number, line in enumerate(lines, 1):
        if _NO_SPACE_HEADING.match(line):
            problems.append(f"line {number} looks like a heading without a space after '#'")
    problems += _table_problems(lines)
    problems += _inline_problems(markdown)
    return problems


def _table_problems(lines: list[str]) -> list[str]:
    problems: list[str] = []
    for index in range(1, len(lines)):
        if not _TABLE_SEP.match(lines[index]):
            continue
        header = _cell_count(lines[index - 1])
        if header != _cell_count(lines[index]):
            problems.append(f"table at line {index}: header and separator have different column counts")
        row = index + 1
        while row < len(lines) and _TABLE_ROW.match(lines[row]):
            if _cell_count(lines[row]) != header:
                problems.append(f"table row at line {row + 1} has {_cell_count(lines[row])} cells, "
                                f"header has {header}")
            row += 1
    return problems


def _cell_count(row: str) -> int:
    row = row.strip().removeprefix("|").removesuffix("|")
    return len(re.split(r"(?<!\\)\|", row))


def _inline_problems(markdown: str) -> list[str]:
    """Unclosed ``**``/``__`` emphasis shows up as literal markers in the parsed text."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # markdown-it-py comes with rich (pydantic-evals); be robust anyway
        return _fallback_inline_problems(markdown)
    problems: list[str] = []
    parser = MarkdownIt("commonmark").enable("table")
    for token in parser.parse(markdown):
        if token.type != "inline" or not token.children:
            continue
        for child in token.children:
            if child.type == "text" and ("**" in child.content or "__" in child.content):
                problems.append(f"unclosed bold marker in {child.content.strip()[:60]!r}")
    return problems


def _fallback_inline_problems(markdown: str) -> list[str]:
    problems = []
    for number, line in enumerate(_outside_code(markdown), 1):
        stripped = re.sub(r"`[^`]*`", "", line)
        if stripped.count("**") % 2:
            problems.append(f"line {number}: unbalanced ** marker")
    return problems
