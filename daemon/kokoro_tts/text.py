"""Bytes of a book in, clean text out: decoding, newlines, unwrapping, markdown.

The clean text is what the listener hears: paragraphs separated by one blank line, each
paragraph on one line unless it is verse or a list (short lines keep their breaks).

- Decoding: UTF-8, UTF-8 with BOM, UTF-16 with BOM; else cp1252, else Latin-1, with a
  warning. Binary input (NUL bytes, or mostly control characters) and empty input are
  refused with TextError.
- Normalizing: CRLF and CR become LF, the BOM goes, Unicode NFC.
- Project Gutenberg: the licence boilerplate before `*** START OF` and after `*** END OF`
  is not part of the book and is not read; `_emphasis_` loses its underscores.
- Curly quotes and apostrophes become straight ones, which kokoro's G2P reads reliably.
- Markdown (`.md`): front matter, emphasis markers, link targets, images (alt text too),
  HTML tags, footnote markers and reference definitions are not read. Headings of level 1
  and 2 become chapter titles (`SourceText.headings`). Fenced and indented code blocks are
  skipped, with a warning saying how many: code read aloud is noise. Table rows are read as
  their cells joined by commas; the separator row is dropped.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Lines at most this share of the book's usual line length are "short": verse, lists, headings.
SHORT_LINE_SHARE = 0.6
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'})
LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


class TextError(ValueError):
    """Input that cannot become speech; the message says what is wrong."""


@dataclass(frozen=True)
class SourceText:
    text: str
    """Clean, normalized text: paragraphs separated by a blank line."""
    encoding: str
    warnings: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()
    """Paragraphs known to be chapter headings (markdown # and ##)."""


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Given raw bytes, return (text, encoding, warnings); raise TextError for binary or empty input."""
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise TextError(f"starts with a UTF-16 byte order mark but is not valid UTF-16 ({exc.reason})") from None
    else:
        if b"\x00" in data:
            raise TextError("binary file (contains NUL bytes): only plain text (.txt) or markdown (.md) can be read")
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "latin-1"
            warnings.append(f"not valid UTF-8; decoded as {encoding}")
    if "\ufffd" in text and encoding == "utf-8-sig":
        warnings.append("invalid UTF-8 bytes after the byte order mark were replaced")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if "\x00" in text or controls > max(8, len(text) // 20):
        raise TextError("binary file (mostly control characters): only plain text or markdown can be read")
    if not text.strip():
        raise TextError("the file is empty or holds only whitespace: there is nothing to read")
    return text, encoding, warnings


def normalize(text: str) -> str:
    """LF newlines, no BOM, NFC, straight quotes, no trailing spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = unicodedata.normalize("NFC", text).translate(QUOTES)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def strip_gutenberg(text: str) -> str:
    """Drop Project Gutenberg's licence boilerplate when both its markers are present."""
    start = re.search(r"(?m)^\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG.*$", text)
    end = re.search(r"(?m)^\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG.*$", text)
    if start and end and start.end() < end.start():
        return text[start.end():end.start()]
    return text


def typical_line_length(paragraphs: list[list[str]]) -> int:
    """The wrap width of hard-wrapped text: a high percentile of line lengths."""
    lengths = sorted(len(line) for lines in paragraphs if len(lines) > 1 for line in lines)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def unwrap(paragraph: list[str], width: int) -> str:
    """Join a hard-wrapped paragraph's lines; keep the breaks of verse and lists."""
    lines = [line.strip() for line in paragraph]
    if len(lines) == 1:
        return lines[0]
    is_list = sum(bool(LIST_ITEM.match(line)) for line in lines) >= 2
    short = width and max(len(line) for line in lines[:-1]) < SHORT_LINE_SHARE * width
    if is_list or short:
        return "\n".join(lines)
    return " ".join(lines)


def paragraphs_of(text: str) -> list[list[str]]:
    blocks = re.split(r"\n[ \t]*\n", text)
    return [[line for line in block.split("\n") if line.strip()] for block in blocks if block.strip()]


def clean_plain(text: str) -> str:
    text = strip_gutenberg(text)
    text = re.sub(r"(?<![A-Za-z0-9_])_([^_\n]+?)_(?![A-Za-z0-9_])", r"\1", text)  # Gutenberg _emphasis_
    paragraphs = paragraphs_of(text)
    width = typical_line_length(paragraphs)
    return "\n\n".join(unwrap(lines, width) for lines in paragraphs)


# --------------------------------------------------------------------------- markdown

FRONT_MATTER = re.compile(r"\A(?:---\n.*?\n(?:---|\.\.\.)|\+\+\+\n.*?\n\+\+\+)[ \t]*(?:\n|\Z)", re.S)
INLINE_RULES = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),              # images: not read
    (re.compile(r"!\[[^\]]*\]\[[^\]]*\]"), ""),
    (re.compile(r"\[\^[^\]]+\]"), ""),                       # footnote markers
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),           # links: keep the text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),
    (re.compile(r"<!--.*?-->", re.S), ""),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),                  # HTML tags: keep inner text
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])"), r"\2"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
]


def clean_inline(line: str) -> str:
    for pattern, replacement in INLINE_RULES:
        line = pattern.sub(replacement, line)
    return line


def clean_markdown(text: str) -> tuple[str, list[str], list[str]]:
    """Return (plain text, chapter headings, warnings) for markdown source."""
    text = FRONT_MATTER.sub("", text, count=1)
    out: list[str] = []
    headings: list[str] = []
    code_blocks = 0
    fence: str | None = None
    lines = text.split("\n")
    setext_underlines: set[int] = set()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if number in setext_underlines:
            continue
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            fence, code_blocks = stripped[:3], code_blocks + 1
            continue
        if line.startswith(("    ", "\t")) and (not out or not out[-1].strip()) and stripped:
            code_blocks += 1  # an indented code block after a blank line
            continue
        if re.match(r"^\[[^\]]+\]:\s*\S+", stripped):  # link reference / footnote definition target
            if not stripped.startswith("[^"):
                continue
            stripped = re.sub(r"^\[\^[^\]]+\]:\s*", "", stripped)
        if re.match(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$", stripped) and "|" in stripped:
            continue  # table separator row
        if stripped.startswith("|") or (stripped.count("|") >= 2 and "|" in stripped[1:-1]):
            cells = [clean_inline(cell.strip()) for cell in stripped.strip("|").split("|")]
            out += ["", ", ".join(cell for cell in cells if cell), ""]
            continue
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", stripped)
        underline = (number + 1 < len(lines) and stripped and (not out or not out[-1].strip())
                     and re.match(r"^(=+|-+)\s*$", lines[number + 1]))
        if underline:
            setext_underlines.add(number + 1)
        if heading or underline:
            title = clean_inline(heading.group(2) if heading else stripped)
            level = len(heading.group(1)) if heading else (1 if lines[number + 1].startswith("=") else 2)
            if title:
                out += ["", title, ""]
                if level <= 2:
                    headings.append(title)
            continue
        if re.match(r"^([-*_])(\s*\1){2,}$", stripped):
            continue  # thematic break
        stripped = re.sub(r"^(>\s*)+", "", stripped)
        out.append(clean_inline(stripped))
    warnings = [f"{code_blocks} code block(s) skipped: code is not read aloud"] if code_blocks else []
    paragraphs = paragraphs_of("\n".join(out))
    width = typical_line_length(paragraphs)
    body = [unwrap(lines, width) if not any(LIST_ITEM.match(line) for line in lines)
            else "\n".join(LIST_ITEM.sub("", line) for line in lines)  # list items: one line each, no bullets
            for lines in paragraphs]
    return "\n\n".join(body), headings, warnings


def read_book(data: bytes, name: str) -> SourceText:
    """Given a book's bytes and file name, return its clean text; raise TextError when unusable."""
    raw, encoding, warnings = decode(data)
    text = normalize(raw)
    headings: list[str] = []
    if name.lower().endswith(".md"):
        text, headings, more = clean_markdown(text)
        warnings += more
    else:
        text = clean_plain(text)
    if not text.strip():
        raise TextError("no readable text left after cleaning (only markup, front matter or code)")
    return SourceText(text, encoding, tuple(warnings), tuple(headings))
