"""Bytes of a book in, clean text out: decoding, newlines, unwrapping, markdown.

The clean text is what the listener hears: paragraphs separated by exactly one blank line
("\\n\\n"), no trailing spaces. A paragraph is on one line unless it is verse or a list,
whose lines stay apart ("\\n"). Only paragraphs with at least one letter or digit are kept,
so scene breaks such as `* * * * *` are dropped: they have nothing to say, and the chunker
and engine already pause between paragraphs.

Decoding (`decode`):
- UTF-8, UTF-8 with BOM ("utf-8-sig"), UTF-16 and UTF-32 with BOM are read exactly (BOM-less
  UTF-16 has NUL bytes and is refused as binary, with a hint to re-save it).
- Anything else falls back to cp1252, then Latin-1 (which never fails), with a warning.
- Refused with `TextError`: NUL bytes outside UTF-16/32, more than 5 % control characters,
  and empty or whitespace-only input.

Cleaning, both formats:
- CRLF and CR become LF, form feeds and Unicode line separators become LF; the BOM,
  invisible characters (zero-width space, soft hyphen, word joiner) and stray control
  characters go; Unicode NFC.
- Curly quotes and apostrophes become straight ' and ", which kokoro's G2P reads reliably.
- Runs of spaces and tabs inside a line become one space.

Plain text (any name but `.md`):
- Project Gutenberg: when both the `*** START OF THE/THIS PROJECT GUTENBERG ...***` and
  `*** END OF ...` lines are present, only the text between them is read: what comes
  before and after is the licence boilerplate, not the book. With only one of them the
  text is read whole (a truncated file is better read with its licence than cut wrongly).
- `_emphasis_` loses its underscores; `[Illustration]` and `[Illustration: caption]` are
  not read (a caption describes a picture, as a markdown image's alt text does).
- Unwrapping: a paragraph is the text between blank lines. Hard-wrapped prose is joined
  with spaces. The book's wrap width W is the 90th percentile of the lengths of lines in
  multi-line paragraphs; a line is "full" when the next line's first word would not have
  fitted after it (len + 1 + word > W - 3) or it is at least 85 % of W, and it is not
  longer than 120 characters (nobody wraps wider) or 125 % of W. A paragraph whose
  lines are mostly full is prose. Its lines are kept apart ("\\n") when it is a list (two or
  more lines start with `-`, `*`, `+`, `•`, `1.`, `1)`), when every line is indented (how
  Project Gutenberg sets verse and quoted letters; ignored when most of the book is
  indented), or when its lines are mostly not full (verse). A non-prose paragraph of long
  lines (over 100 characters on average) is one paragraph per line: a file that puts each
  paragraph on one line without blank lines between them. List bullets are dropped (the
  item stays on its own line); ordered-list numbers are kept ("1. Preheat the oven").

Markdown (`.md`), a line-based subset of CommonMark and GitHub tables:
- Paragraphs follow markdown, not the plain-text unwrapping: soft line breaks join with a
  space, as any renderer shows them; a hard break (two trailing spaces, a backslash, `<br>`)
  keeps its line break, so verse needs hard breaks. List items (nested ones too) are one per
  line, bullets and task boxes dropped, ordered numbers kept.
- Front matter (`---` YAML or `+++` TOML at the very top, whose first line is `key: value`
  or `key = value`) is removed; a file that is only front matter has nothing to read.
- Headings (ATX `#`..`######` and setext `===`/`---` underlines) become paragraphs of their
  own. Headings at the chapter level are also listed in `SourceText.headings`, which the
  caller passes to `chunker.plan_chunks`: the chapter level is the shallowest heading level
  used at least twice, and every heading at or above it counts (`# Book` with `## Chapter`s
  gives the chapters and the book's title); when no level repeats, every heading counts.
  No marker is put in the text, so nothing like "#" is ever spoken.
- Emphasis markers (`*`, `**`, `_`, `__`, `~~`) and inline-code backticks go, their text
  stays; backslash escapes are honoured; HTML entities are decoded.
- Links `[text](url)` and `[text][ref]` read as their text; autolinks `<https://...>` as the
  address; images `![alt](src)` are not read at all (alt text describes a picture, and is
  often a file name); reference definitions `[ref]: url` are dropped.
- Raw HTML tags are removed and their inner text kept (`<br>` is a line break); HTML
  comments, `<script>` and `<style>` elements are removed with their content.
- Footnote markers `[^1]` are removed; footnote definitions `[^1]: text` are read as a
  paragraph where they stand (usually the end), without the marker.
- Code blocks (fenced and indented) are skipped, with one warning counting them: code read
  aloud is noise. An unclosed fence is not treated as code (that would silently drop the
  rest of the book): its line is dropped, the rest is read, and a warning says so.
- Tables: each row is read as its cells joined by ", ", one row per line; the header row is
  kept, the separator row dropped.
- Blockquote markers `>` are removed; horizontal rules are dropped.
"""

from __future__ import annotations

import codecs
import html
import logging
import re
import unicodedata
from dataclasses import dataclass

log = logging.getLogger(__name__)

MAX_CONTROL_SHARE = 0.05
"""More control characters than this share of the text (and more than 8) means binary."""
WRAP_PERCENTILE = 0.9
"""The wrap width is this percentile of line lengths: robust to a few over-long lines."""
WRAP_SLACK = 3
"""A line this close to fitting the next word still counts as full (uneven re-wrapping)."""
FULL_SHARE = 0.85
"""A line at least this share of the wrap width is full whatever comes next."""
LONG_LINE = 100
"""Lines longer than this on average are paragraphs of their own, never verse."""
MAX_WRAP_WIDTH = 120
"""Nobody hard-wraps prose wider than this: a longer line is a whole paragraph."""

QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
})
INVISIBLE = str.maketrans({"\ufeff": None, "\u200b": None, "\u00ad": None, "\u2060": None})
CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")  # stray control characters confuse G2P
LINE_BREAKS = re.compile(r"\r\n|[\r\f\v\u2028\u2029\x85]")
LIST_ITEM = re.compile(r"^\s*(?:([-*+\u2022])|(\d{1,9}[.)]))\s+")
SPOKEN = re.compile(r"[^\W_]")  # a letter or a digit, in any script
UTF32_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"))
UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class TextError(ValueError):
    """Input that cannot become speech (binary, empty, whitespace-only); the message says
    what is wrong and what to do."""


@dataclass(frozen=True)
class SourceText:
    """A book's clean text and how it was read."""

    text: str
    """Clean, normalized text: paragraphs separated by one blank line."""
    encoding: str
    """How the bytes were decoded: utf-8, utf-8-sig, utf-16, utf-32, cp1252 or latin-1."""
    warnings: tuple[str, ...] = ()
    """Things the listener may miss: a guessed encoding, skipped code blocks."""
    headings: tuple[str, ...] = ()
    """Markdown chapter-level headings, as they appear as paragraphs of `text`; empty for
    plain text (the chunker finds its headings by pattern). Pass to `plan_chunks`."""


# ----------------------------------------------------------------------------- decoding


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Given raw bytes, return (text, encoding, warnings); raise TextError for binary or empty input."""
    text, encoding, warnings = decode_any(data)
    refuse_binary(text)
    if not text.strip():
        raise TextError("the file is empty or holds only whitespace: there is nothing to read; "
                        "put the book's text in it")
    return text, encoding, warnings


def decode_any(data: bytes) -> tuple[str, str, list[str]]:
    """Decode by byte order mark, else as UTF-8, else cp1252, else Latin-1."""
    for bom, encoding in UTF32_BOMS + UTF16_BOMS:  # UTF-32 LE's BOM starts with UTF-16 LE's
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding, []
            except UnicodeDecodeError as exc:
                raise TextError(f"starts with a {encoding.upper()} byte order mark but is not valid "
                                f"{encoding.upper()} ({exc.reason} at byte {exc.start}); "
                                "re-save the file as UTF-8") from None
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
        warnings = ["invalid UTF-8 bytes after the byte order mark were replaced"] if "\ufffd" in text else []
        return text, "utf-8-sig", warnings
    if b"\x00" in data:
        raise TextError("binary file (contains NUL bytes): only plain text (.txt) or markdown (.md) can "
                        "be read; if it is UTF-16 text without a byte order mark, re-save it as UTF-8")
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        bad = exc.start
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue  # cp1252 leaves five bytes undefined; Latin-1 defines all 256
        log.info("not valid UTF-8 (byte %d); decoded as %s", bad, encoding)
        return text, encoding, [f"not valid UTF-8 (first bad byte at offset {bad}); decoded as {encoding}"]
    raise AssertionError("unreachable: latin-1 decodes any bytes")  # pragma: no cover


def refuse_binary(text: str) -> None:
    """Raise TextError when text is mostly control characters (a binary file)."""
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if controls > max(8, len(text) * MAX_CONTROL_SHARE):
        raise TextError(f"binary file ({controls} control characters in {len(text)}): only plain text "
                        "(.txt) or markdown (.md) can be read")


def normalize(text: str) -> str:
    """LF newlines, no BOM, invisible or control characters, NFC, straight quotes.

    Trailing spaces stay: in markdown two of them are a hard line break.
    """
    text = CONTROLS.sub("", LINE_BREAKS.sub("\n", text).translate(INVISIBLE))
    return unicodedata.normalize("NFC", text).translate(QUOTES)


# ----------------------------------------------------------------------------- unwrapping


def blocks_of(text: str) -> list[list[str]]:
    """Split text at blank lines into blocks of non-blank lines (indentation kept)."""
    blocks = [[line.rstrip() for line in block.split("\n") if line.strip()] for block in re.split(r"\n\s*\n", text)]
    return [block for block in blocks if block]


def wrap_width(blocks: list[list[str]]) -> int:
    """The width hard-wrapped text was wrapped at: a high percentile of multi-line blocks' line lengths."""
    lengths = sorted(len(line) for block in blocks if len(block) > 1 for line in block)
    return lengths[int(len(lengths) * WRAP_PERCENTILE)] if lengths else 0


def is_full(line: str, following: str, width: int) -> bool:
    """Whether a line ends where a wrapper had to break it: the next word would not have fitted."""
    if len(line) > min(width * 1.25 + WRAP_SLACK, MAX_WRAP_WIDTH):
        return False  # longer than any wrap width: not a wrapped line
    next_word = following.split()[0]
    return len(line) + 1 + len(next_word) > width - WRAP_SLACK or len(line) >= width * FULL_SHARE


def unwrap(block: list[str], width: int, indented_book: bool = False) -> list[str]:
    """Given a block's lines, return its paragraphs: usually one, joined or with its line breaks kept."""
    lines = [" ".join(line.split()) for line in block]
    if len(lines) == 1:
        return lines
    if sum(bool(LIST_ITEM.match(line)) for line in lines) >= 2:
        return ["\n".join(LIST_ITEM.sub(keep_number, line) for line in lines)]
    if not indented_book and all(line[:1].isspace() for line in block):
        return ["\n".join(lines)]  # verse or a quoted letter, set indented
    full = [is_full(line, following, width) for line, following in zip(block, block[1:], strict=False)]
    if width and sum(full) * 2 > len(full):
        return [" ".join(lines)]
    if sum(map(len, lines)) / len(lines) > LONG_LINE:
        return lines
    return ["\n".join(lines)]


def keep_number(item: re.Match[str]) -> str:
    """Replacement for a list marker: a bullet goes, an ordered number stays."""
    return f"{item.group(2)} " if item.group(2) else ""


def is_spoken(paragraph: str) -> bool:
    """Whether a paragraph has anything to say: a letter or a digit."""
    return bool(SPOKEN.search(paragraph))


def paragraphs_of(text: str) -> list[str]:
    """Unwrap normalized text into its paragraphs (empty ones and pure punctuation dropped)."""
    blocks = blocks_of(text)
    width = wrap_width(blocks)
    lines = [line for block in blocks for line in block]
    indented_book = sum(line[:1].isspace() for line in lines) * 2 > len(lines)
    paragraphs = [p for block in blocks for p in unwrap(block, width, indented_book)]
    return [p for p in paragraphs if is_spoken(p)]


# ----------------------------------------------------------------------------- plain text

GUTENBERG_START = re.compile(r"(?im)^\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG[^*]*\*{3}.*$")
GUTENBERG_END = re.compile(r"(?im)^\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG")
ILLUSTRATION = re.compile(r"\[Illustration(?:[:.][^\]]{0,2000})?\]", re.IGNORECASE)
UNDERSCORE_EMPHASIS = re.compile(r"(?<!\w)_(?=\S)([^_]+?)(?<=\S)_(?!\w)")


def strip_gutenberg(text: str) -> str:
    """Keep only the book between Project Gutenberg's START and END lines, when both are there."""
    start = GUTENBERG_START.search(text)
    end = GUTENBERG_END.search(text, start.end()) if start else None
    if start and end:
        return text[start.end():end.start()]
    return text


def clean_plain(text: str) -> str:
    """Normalized plain text in, paragraphs out."""
    text = ILLUSTRATION.sub("", strip_gutenberg(text))
    paragraphs = [UNDERSCORE_EMPHASIS.sub(r"\1", p) for p in paragraphs_of(text)]
    return "\n\n".join(p for p in paragraphs if is_spoken(p))


# ----------------------------------------------------------------------------- markdown

FRONT_MATTER = re.compile(r"\A(?:---\n(.*?\n)?(?:---|\.\.\.)|\+\+\+\n(.*?\n)?\+\+\+)[ \t]*(?:\n|\Z)", re.S)
FRONT_MATTER_KEY = re.compile(r"^\s*(?:#.*|[\w.\"'-]+\s*[:=].*|\[[\w. \"'-]+\])$")
HTML_DROPPED = re.compile(r"<!--.*?-->|<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-{2,})[ \t]*$")
RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
REFERENCE = re.compile(r"^ {0,3}\[(?!\^)[^\]]+\]:\s*\S")
FOOTNOTE = re.compile(r"^ {0,3}\[\^[^\]]+\]:\s*")
QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
TASK_BOX = re.compile(r"^\[[ xX]\]\s+")
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
PROTECTED = 0xE000  # escaped and code characters ride in the Private Use Area until the end
INLINE_RULES = [
    (re.compile(r"[ \t]*!\[[^\]]*\](?:\((?:[^()\n]|\([^()\n]*\))*\)|\[[^\]]*\])"), ""),  # images
    (re.compile(r"\[\^[^\]\s]+\]"), ""),                                       # footnote markers
    (re.compile(r"\[([^\]]+)\]\((?:[^()\n]|\([^()\n]*\))*\)"), r"\1"),          # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),                              # [text][ref]
    (re.compile(r"<((?:https?|ftp|mailto):[^>\s]+|[^>\s@]+@[^>\s@]+)>"), r"\1"),  # autolinks
    (re.compile(r"<br\s*/?>", re.I), "\n"),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), ""),               # tags, text kept
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S), r"\2"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.S), r"\1"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", re.S), r"\1"),
    (re.compile(r"(?<![\w])_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)", re.S), r"\1"),
]


@dataclass
class Markdown:
    """The state of one pass over a markdown document's lines."""

    blocks: list[tuple[int, list[str]]]
    """(heading level or 0, raw lines) in order; level -1 for lines already final (tables)."""
    code_blocks: int = 0
    unclosed_fences: int = 0


def strip_front_matter(text: str) -> str:
    """Remove YAML (---) or TOML (+++) front matter at the very top, if it looks like one."""
    match = FRONT_MATTER.match(text)
    if not match:
        return text
    body = match.group(1) or match.group(2) or ""
    first = next((line for line in body.split("\n") if line.strip()), "")
    if first and not FRONT_MATTER_KEY.match(first):
        return text  # a horizontal rule and prose, not front matter
    return text[match.end():]


def protect(text: str) -> str:
    """Hide characters from the emphasis rules by moving ASCII punctuation into the Private Use Area."""
    return "".join(chr(PROTECTED + ord(ch)) if ord(ch) < 128 and not ch.isalnum() and not ch.isspace() else ch
                   for ch in text)


def unprotect(text: str) -> str:
    return "".join(chr(ord(ch) - PROTECTED) if PROTECTED <= ord(ch) < PROTECTED + 128 else ch for ch in text)


def clean_inline(text: str) -> str:
    """Markdown inline markup out, the words in: emphasis, code, links, images, HTML, entities."""
    text = ESCAPE.sub(lambda m: protect(m.group(1)), text)
    text = CODE_SPAN.sub(lambda m: protect(m.group(2).strip()), text)
    for pattern, replacement in INLINE_RULES:
        text = pattern.sub(replacement, text)
    text = unprotect(html.unescape(text))
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def table_row(line: str) -> str:
    """A table row read as its non-empty cells joined by commas."""
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return ", ".join(cell for cell in (clean_inline(c.strip()) for c in cells) if cell)


def skip_fence(lines: list[str], start: int, marker: str, doc: Markdown) -> int:
    """Given the index of an opening fence and its marker, return the index after its closing one.

    Unclosed: the fence line alone is skipped and counted, the rest is read as text.
    """
    closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
    for end in range(start + 1, len(lines)):
        if closing.match(lines[end]):
            doc.code_blocks += 1
            return end + 1
    doc.unclosed_fences += 1
    return start + 1


def parse_markdown(text: str) -> Markdown:
    """Sort a markdown document's lines into heading, paragraph, list and table blocks."""
    doc = Markdown(blocks=[])
    lines = text.split("\n")
    current: list[str] = []
    in_list = False  # the last block was a list: indented lines continue it, they are not code

    def flush() -> None:
        if current:
            doc.blocks.append((0, current.copy()))
            current.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            flush()
            i = skip_fence(lines, i, fence.group(1), doc)
            continue
        if not line.strip():
            flush()
            i += 1
            continue
        if line.startswith(("    ", "\t")) and not current and not in_list:
            doc.code_blocks += 1  # an indented code block: up to the next unindented line
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(("    ", "\t"))):
                i += 1
            continue
        heading = ATX.match(line)
        if current and SETEXT.match(line) and not current[0].startswith("\x00"):
            doc.blocks.append((1 if line.strip()[0] == "=" else 2, current.copy()))
            current.clear()
        elif heading:
            flush()
            doc.blocks.append((len(heading.group(1)), [heading.group(2) or ""]))
            in_list = False
        elif RULE.match(line):
            flush()
        elif "|" in line and i + 1 < len(lines) and "|" in lines[i + 1] and TABLE_SEPARATOR.match(lines[i + 1]):
            flush()
            rows = [table_row(line)]
            i += 2
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                rows.append(table_row(lines[i]))
                i += 1
            doc.blocks.append((-1, [row for row in rows if row]))
            in_list = False
            continue
        elif REFERENCE.match(line):
            pass
        elif FOOTNOTE.match(line):
            flush()
            current.append(FOOTNOTE.sub("", line))
        else:
            content = QUOTE.sub("", line)
            quoted_heading = ATX.match(content) if content != line else None
            if quoted_heading:
                content = quoted_heading.group(2) or ""  # a heading inside a quote is just text
            if not content.strip():
                flush()  # a blank quoted line separates paragraphs
            else:
                item = LIST_ITEM.match(content)
                if item:
                    if current and not current[0].startswith("\x00"):
                        flush()  # a list interrupts a paragraph
                    in_list = True
                    content = TASK_BOX.sub("", LIST_ITEM.sub(keep_number, content).lstrip())
                    current.append("\x00" + content)  # NUL marks an item start (input never has NUL)
                elif current and current[0].startswith("\x00"):
                    current[-1] += " " + content.strip()  # a list item's continuation line
                else:
                    in_list = in_list and line[:1].isspace()
                    current.append(content)
        i += 1
    flush()
    return doc


def chapter_level(levels: list[int]) -> int:
    """The shallowest heading level used at least twice; 6 (every level) when none repeats."""
    used = sorted(level for level in levels if level > 0)
    repeated = [level for level in used if used.count(level) > 1]
    return repeated[0] if repeated else 6


def markdown_paragraph(lines: list[str]) -> str:
    """A paragraph block's raw lines as one clean paragraph: soft breaks join, hard breaks and items stay."""
    if lines[0].startswith("\x00"):
        return "\n".join(item for item in (clean_inline(line[1:]) for line in lines) if item)
    joined = [line.rstrip(" \\") + ("\n" if line.endswith(("  ", "\\")) else " ") for line in lines]
    return clean_inline("".join(joined))


def clean_markdown(text: str) -> tuple[str, list[str], list[str]]:
    """Normalized markdown in; (paragraphs, chapter headings, warnings) out."""
    doc = parse_markdown(HTML_DROPPED.sub("", strip_front_matter(text)))
    level = chapter_level([level for level, _ in doc.blocks])
    paragraphs: list[str] = []
    headings: list[str] = []
    for block_level, lines in doc.blocks:
        if block_level > 0:
            paragraph = " ".join(clean_inline(" ".join(lines)).split())
            if is_spoken(paragraph) and block_level <= level and paragraph not in headings:
                headings.append(paragraph)
        elif block_level < 0:
            paragraph = "\n".join(lines)
        else:
            paragraph = markdown_paragraph(lines)
        if is_spoken(paragraph):
            paragraphs.append(paragraph)
    warnings = []
    if doc.code_blocks:
        warnings.append(f"{doc.code_blocks} code block(s) skipped: code is not read aloud")
    if doc.unclosed_fences:
        warnings.append(f"{doc.unclosed_fences} unclosed code fence(s): the text after each was read as prose")
    return "\n\n".join(paragraphs), headings, warnings


# ----------------------------------------------------------------------------- the entry point


def read_book(data: bytes, name: str) -> SourceText:
    """Given a book's bytes and file name, return its clean text; raise TextError when unusable.

    A name ending in `.md` (any case) is read as markdown, anything else as plain text.
    """
    raw, encoding, warnings = decode(data)
    text = normalize(raw)
    headings: list[str] = []
    if name.lower().endswith(".md"):
        text, headings, more = clean_markdown(text)
        warnings += more
    else:
        text = clean_plain(text)
    if not text:
        raise TextError("no readable text left after cleaning (only markup, front matter, code or "
                        "punctuation); check that this is the book's text")
    for warning in warnings:
        log.debug("%s: %s", name, warning)
    return SourceText(text, encoding, tuple(warnings), tuple(headings))
