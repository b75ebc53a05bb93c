"""Markdown in, what a reader sees on the rendered page out: CommonMark through markdown-it-py.

`markdown_body(body, fields)` parses normalized markdown with markdown-it-py (CommonMark, plus GitHub
tables and strikethrough, plus footnotes from mdit-py-plugins) and walks its tokens:
- Paragraphs: soft line breaks join with a space, as any renderer shows them; hard breaks
  (two trailing spaces, a backslash, `<br>`) keep their line break, so verse needs them.
- Headings (ATX and setext) are paragraphs of their own. Those at the chapter level are
  returned as chapter headings, in order, for `chunker.plan_chunks`: the chapter level is
  the shallowest heading level used at least twice, and every heading at or above it
  counts (`# Book` with `## Chapter`s gives the chapters and the book's title); when no
  level repeats, every heading counts. A chapter heading followed at once by a deeper one
  (`# A Story`, then `## I`) holds only its title: the deeper ones under it are its parts, and
  chapters too. Each heading's level (1 for `#`) goes with it. No marker is put in the text:
  "#" is never spoken.
- Lists are one paragraph, one item a line (nested ones too); bullets and task boxes go,
  ordered numbers stay ("1. Preheat the oven").
- Tables: each row read as its non-empty cells joined by ", ", one row a line.
- Block quotes: their paragraphs are read as paragraphs; a heading inside a quote or a list
  item is read, but is no chapter.
- Emphasis, strikethrough and code-span markers go, their text stays; link text is read,
  link targets and reference definitions never; autolinks read as the address; images are
  not read at all (alt text describes a picture, and is often a file name); entities and
  backslash escapes are what the page shows.
- Raw HTML: tags and attributes are never spoken; the text between them is (xhtml.py), but
  never the content of `script`, `style` or comments.
- Footnote markers `[^1]` are not read; footnote bodies are read at the end of the book.
- Code blocks (fenced and indented) are skipped, with one warning counting them: code read
  aloud is noise. An unclosed fence is not taken as code (that would silently drop the
  rest of the book): its content is read as prose, and a warning says so.
- Markup nested deeper than markdown-it reads (MAX_NESTING levels: lists about 25 deep,
  quotes 49) raises MarkupTooDeep: reader.py then reads the book as plain text, so that
  nothing in it is lost.
- Front matter (`---` YAML or `+++` TOML at the very top, frontmatter.py) is not read; its
  `title` and `author`/`authors` and `lang`/`language` become the book's metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .parts import chapter_marks
from .xhtml import html_text

TASK_BOX = re.compile(r"^\[[ xX]\]\s+")
HTML_BREAK = re.compile(r"^<br\s*/?>$", re.I)
HTML_HIDDEN_OPEN = re.compile(r"^<(?:script|style)\b", re.I)
HTML_HIDDEN_CLOSE = re.compile(r"^</(?:script|style)\b", re.I)
SPACE_BEFORE_STOP = re.compile(r"(?<=\w) +([.,;:!?])(?=\s|$)")
"""A space left before a full stop where an image or a footnote marker was: "a link and ."."""
SPOKEN = re.compile(r"[^\W_]")

MAX_NESTING = 50
"""markdown-it's nesting limit (20 by default): it leaves what lies deeper out, silently (MarkupTooDeep)."""
PARSER = (MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING}).enable(["table", "strikethrough"])
          .use(footnote_plugin))


@dataclass
class Markdown:
    """A markdown book read: its paragraphs, chapter headings, warnings and metadata."""

    paragraphs: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    """Each heading's level: 1 for `#`, 2 for `##`..."""
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def book_metadata(fields: dict[str, Any]) -> dict[str, Any]:
    """Given front-matter fields (frontmatter.py), return the book's title, authors and language."""
    authors = fields.get("authors", fields.get("author", []))
    authors = [authors] if isinstance(authors, str) else authors if isinstance(authors, list) else []
    language = fields.get("language", fields.get("lang"))
    title = fields.get("title")
    title = str(title) if isinstance(title, (int, float)) and not isinstance(title, bool) else title
    return {"title": title if isinstance(title, str) and title else None,  # TOML may give numbers, dates, tables
            "authors": [a for a in authors if isinstance(a, str) and a],
            "language": language if isinstance(language, str) and language else None}


def inline_text(token: Token) -> str:
    """An inline token's visible text: markup gone, hard breaks kept as newlines."""
    parts: list[str] = []
    hidden = 0  # inside inline <script>/<style>
    for child in token.children or []:
        kind = child.type
        if kind == "html_inline":
            if HTML_BREAK.match(child.content.strip()):
                parts.append("\n")
            elif HTML_HIDDEN_OPEN.match(child.content):
                hidden += 1
            elif HTML_HIDDEN_CLOSE.match(child.content):
                hidden = max(0, hidden - 1)
        elif hidden:
            continue
        elif kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
    return SPACE_BEFORE_STOP.sub(r"\1", tidy("".join(parts)))


def tidy(text: str) -> str:
    """Collapse spaces in each line; drop empty lines."""
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def unclosed(token: Token, lines: list[str]) -> bool:
    """Whether a fence token runs to the end of the document without its closing fence.

    A fence that ends with its container (a block quote, a list item) is closed by it.
    """
    start, end = token.map or (0, 0)
    content_end = len(lines)
    while content_end and not lines[content_end - 1].strip():
        content_end -= 1
    if end < content_end:
        return False
    last = lines[end - 1].strip().lstrip("> ") if end - 1 > start else ""
    marker = token.markup
    return not (last.startswith(marker) and set(last) <= {marker[0]})


def walk(tokens: list[Token], lines: list[str], book: Markdown) -> list[tuple[int, str]]:
    """Given block tokens, return (heading level or 0, paragraph) in reading order; count code in book."""
    out: list[tuple[int, str]] = []
    items: list[str] | None = None  # the lines of the list being read
    depth = 0  # list nesting
    ordered: list[int | None] = []
    row: list[str] | None = None
    table: list[str] = []
    code = broken = 0
    footnotes: list[tuple[int, str]] = []  # read at the end
    in_footnote = quoted = 0
    fresh = False
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            start = token.attrGet("start")
            ordered.append((1 if start is None else int(start)) if kind == "ordered_list_open" else None)
            items = [] if items is None else items
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            ordered.pop()
            if depth == 0 and items is not None:
                lines_read = [line for line in "\n".join(items).split("\n") if SPOKEN.search(line)]
                if lines_read:
                    (footnotes if in_footnote else out).append((0, "\n".join(lines_read)))
                items = None
        elif kind == "list_item_open" and items is not None:
            number = ordered[-1] if ordered else None
            if number is not None:
                ordered[-1] = number + 1
            items.append(f"{number}{token.markup} " if number is not None else "")
            fresh = True  # the item's first text goes on its number's line
        elif kind == "inline" and index and tokens[index - 1].type == "heading_open":
            level = 0 if quoted or items is not None else int(tokens[index - 1].tag[1])  # quoted: just text
            out.append((level, inline_text(token)))
        elif kind == "inline" and row is not None:
            row.append(" ".join(inline_text(token).split()))
        elif kind == "inline" and items is not None:
            text = inline_text(token)
            if fresh and items:
                items[-1] += TASK_BOX.sub("", text)
            else:
                items.append(text)
            fresh = False
        elif kind == "inline":
            (footnotes if in_footnote else out).append((0, inline_text(token)))
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            table.append(", ".join(cell for cell in row if cell))
            row = None
        elif kind == "table_close":
            out.append((0, "\n".join(r for r in table if r)))
            table = []
        elif kind in ("fence", "code_block"):
            if kind == "fence" and unclosed(token, lines):
                broken += 1
                out.append((0, tidy(token.content)))
            else:
                code += 1
        elif kind == "html_block":
            out.extend((0, p) for p in html_text(token.content, code=False).split("\n\n"))
        elif kind in ("blockquote_open", "blockquote_close"):
            quoted += 1 if kind == "blockquote_open" else -1
        elif kind == "footnote_open":
            in_footnote += 1
        elif kind == "footnote_close":
            in_footnote -= 1
    if code:
        book.warnings.append(f"{code} code block(s) skipped: code is not read aloud")
    if broken:
        book.warnings.append(f"{broken} unclosed code fence(s): the text after each was read as prose")
    return out + footnotes


class MarkupTooDeep(ValueError):
    """Markdown nested past MAX_NESTING: the parser left out what lay deeper."""


def markdown_body(body: str, fields: dict[str, Any]) -> Markdown:
    """Given normalized markdown whose front matter was split off already (reader.decode_book does it once,
    for the book's settings and its text) and the front matter's fields, return its paragraphs, chapter
    headings, warnings and metadata."""
    book = Markdown(metadata=book_metadata(fields))
    tokens = PARSER.parse(body)
    if any(token.nesting == 1 and token.level >= MAX_NESTING - 1 and after.nesting == -1
           for token, after in zip(tokens, tokens[1:])):  # a container opened at the limit is left empty
        raise MarkupTooDeep(f"markup nested past the markdown parser's {MAX_NESTING} levels (lists about "
                            f"{MAX_NESTING // 2} deep, quotes {MAX_NESTING - 1})")
    blocks = [(lvl, paragraph) for lvl, paragraph in walk(tokens, body.split("\n"), book) if SPOKEN.search(paragraph)]
    marks = chapter_marks(blocks)
    for position, (block_level, paragraph) in enumerate(blocks):
        if block_level:
            paragraph = " ".join(paragraph.split())
            if position in marks:
                book.headings.append(paragraph)
                book.levels.append(block_level)
        book.paragraphs.append(paragraph)
    return book
