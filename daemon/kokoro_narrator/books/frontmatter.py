"""Markdown front matter: a `---` (YAML-style) or `+++` (TOML) block at the very top of a .md book.

It is split off once, by reader.decode_book: inbox/settings.py takes the book's voice, speed
and so on from its fields, and markdown.py takes the title, authors and language from the same
fields and reads only the rest. So the block whose settings apply is exactly the block that is
not spoken.

A `---` line followed by prose is a horizontal rule, not front matter: every line of the block
must be `key: value` (any key YAML allows), `key = value`, a `- item`, an indented
continuation, a `# comment` or a `[table]`, with one KNOWN_KEYS key or three key lines at
least. Anything else (a heading and prose between two rules, `Part One: The Fall` alone
between them) is the book's text. `---` may close with `...`. A `+++` block is
always front matter (TOML; read line by line when it is not valid TOML).
"""

from __future__ import annotations

import re
from typing import Any

from ..core import tomllib

BLOCK = re.compile(r"\A\ufeff?(?:(---)[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)|\+\+\+[ \t]*\r?\n(.*?\r?\n)?\+\+\+)"
                   r"[ \t]*(?:\r?\n|\Z)", re.S)
KEY_LINE = re.compile(r"^(?:[^\s#\-\[{][^\n]*?:(?:[ \t].*)?|[\w.\"'-]+[ \t]*=.*|\[[^\]\n]+\])$")
"""A line that sets a key: YAML's `key: value` (any key: `date created: 2023`, `"my key": x`),
`key = value`, or a `[table]`."""
KNOWN_KEYS = frozenset("title subtitle author authors creator lang language date tags categories keywords "
                       "description summary abstract layout draft slug series publisher rights cover "
                       "voice speed lang_code created updated modified aliases".split())
"""Keys that mark a block as front matter: this program's, and those of Pandoc, Jekyll, Hugo, Obsidian."""
MIN_KEY_LINES = 3
"""Or this many `key: value` lines: one or two of another kind may be the book's own text."""
OTHER_LINE = re.compile(r"^(?:[ \t]*#.*|[ \t]*-[ \t].*|[ \t]+\S.*|[ \t]*)$")
"""A front-matter line that is no key: a comment, a list item, a continuation, a blank line."""
ENTRY = re.compile(r"^([\"']?)([A-Za-z_][\w-]*)\1[ \t]*[:=][ \t]*(.*?)[ \t]*$")
BLOCK_SCALAR = re.compile(r"^[|>][+-]?$")
LIST_ITEM = re.compile(r"^\s*-\s+(.*?)\s*$")


def split_front_matter(text: str) -> tuple[str, dict[str, Any]]:
    """Given a markdown book's text, return (the text after its front matter, the front matter's fields).

    Returns (text, {}) when there is no front matter. Keys are lower case. TOML keeps its types;
    `key: value` lines give strings, `[a, b]` and `- item` lines lists. A `+++` block that is not
    valid TOML is still front matter (a Hugo header with a typo), read line by line.
    """
    match = BLOCK.match(text)
    if not match:
        return text, {}
    yaml = match.group(1) is not None
    body = (match.group(2) if yaml else match.group(3)) or ""
    body = body.replace("\r\n", "\n")
    if not yaml:  # `+++` is no markdown: it opens front matter, valid TOML or not
        try:
            return text[match.end():], {key.lower(): value for key, value in tomllib.loads(body).items()}
        except tomllib.TOMLDecodeError:
            return text[match.end():], _lines(body)
    lines = body.split("\n")
    if not body.strip():
        return text[match.end():], {}
    keys = [line for line in lines if KEY_LINE.match(line)]
    names = {re.split(r"[:=]", line, maxsplit=1)[0].strip().strip("\"'").lower() for line in keys}
    if not all(KEY_LINE.match(line) or OTHER_LINE.match(line) for line in lines) or \
            not (names & KNOWN_KEYS or len(keys) >= MIN_KEY_LINES):
        return text, {}  # a rule, then text ("Part One: The Fall" is a heading, not a key)
    return text[match.end():], _lines(body)


def _lines(body: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    key, block = None, None  # block: the `|` or `>` of a multi-line string being read
    for line in body.split("\n"):
        if block and (line[:1].isspace() or not line.strip()):
            joiner = "\n" if block == "|" else " "
            fields[key] = (fields[key] + joiner if fields[key] else "") + line.strip()
            continue
        block = None
        if entry := ENTRY.match(line):
            key, value = entry.group(2).lower(), entry.group(3)
            if value.startswith("[") and value.endswith("]"):
                fields[key] = [unquote(item) for item in value[1:-1].split(",") if item.strip()]
            elif BLOCK_SCALAR.match(value):  # `title: >` and the lines under it
                fields[key], block = "", value[0]
            else:
                fields[key] = unquote(value) if value else []  # `key:` then `- item` lines
        elif (item := LIST_ITEM.match(line)) and key and isinstance(fields.get(key), list):
            fields[key].append(unquote(item.group(1)))
    return {key: value.strip() if isinstance(value, str) else value for key, value in fields.items()}


def unquote(value: str) -> str:
    """`"Emma: A Novel"` -> `Emma: A Novel`; `Jane Austen  # the author` -> `Jane Austen`."""
    value = value.strip()
    if not value.startswith(("'", '"')):
        value = re.sub(r"[ \t]+#.*$", "", value)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
