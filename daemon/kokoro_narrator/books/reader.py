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
- Unwrapping (unwrap.py): a paragraph is the text between blank lines. Hard-wrapped prose is joined
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
- Set apart: a one-line paragraph with more blank lines before it than the book's usual gap
  between paragraphs, and fewer after it, is listed in `SourceText.spaced` (a title-only
  heading may be one: headings.py decides).

Markdown (`.md`, `.markdown`): markdown.py, a CommonMark parser (markdown-it-py).

EPUB (`.epub`): epub.py (container, OPF, spine, nav or NCX) and xhtml.py (the documents'
text). DOCX (`.docx`: docx.py), FB2 (`.fb2`, `.fb2.zip`, `.fbz`: fb2.py), one HTML or XHTML file
(`.html`, `.htm`, `.xhtml`: html.py), PDF (`.pdf`: pdf.py) and what Calibre converts to EPUB (`.mobi`,
`.azw3`, `.rtf`, `.odt`...: calibre.py) are read the same way: each reader returns a `BookParts`
(parts.py) and `read_parts` cleans its paragraphs like the other formats' (normalized, quotes straight).
A plain-text book whose bytes are a known binary format (a PDF, a zip, a Word file: magic.py) is
refused with a message naming the format and the suffix it should have.

Metadata (`SourceText.metadata`): "title" (str or None), "authors" (list of str),
"language" (str or None), and for the structured formats "cover" ({"media_type", "data"} or None).
They come from the EPUB's OPF, a DOCX's core properties, an FB2's title-info, an HTML page's head,
markdown front matter, or a Project Gutenberg header's `Title:` and
`Author:` lines (read before the header is cut off). `source_metadata` makes the
JSON-safe record `job.json` keeps, with a warning when the book's language is not its
job's `lang_code`'s.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .magic import sniff
from .metadata import EMPTY_METADATA, gutenberg_metadata
from .parts import BookError, BookParts
from .unwrap import is_spoken, paragraphs_of

log = logging.getLogger(__name__)

MAX_CONTROL_SHARE = 0.05
"""More control characters than this share of the text (and more than 8) means binary."""

QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
})
INVISIBLE = str.maketrans({"\ufeff": None, "\u200b": None, "\u00ad": None, "\u2060": None})
CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")  # stray control characters confuse G2P
LINE_BREAKS = re.compile(r"\r\n|[\r\f\v\u2028\u2029\x85]")
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
    """Chapter headings in order, each a paragraph of `text`: markdown's chapter-level
    headings, an EPUB's table of contents; empty for plain text (the chunker finds its
    headings itself). Pass to `plan_chunks`."""
    titles: tuple[str, ...] = ()
    """Chapter titles, one per heading, when the book names them apart from its text (an EPUB's
    TOC labels); empty otherwise. Pass to `plan_chunks` too."""
    metadata: dict[str, Any] = field(default_factory=lambda: dict(EMPTY_METADATA))
    """"title" (str or None), "authors" (list of str), "language" (str or None); for the structured
    formats (parts.BookParts) also "cover": {"media_type": str, "data": bytes} or None."""
    lexicons: tuple[tuple[str, str], ...] = ()
    """(file name, XML text) of each PLS lexicon in an EPUB's manifest (lexicon.py reads them)."""
    levels: tuple[int, ...] = ()
    """The level of each heading (an EPUB's TOC nesting, markdown's `#` count), when the book gives them."""
    spaced: tuple[int, ...] = ()
    """Plain text: the one-line paragraphs set apart by more blank lines than the book's paragraphs, in
    order (title-only headings may be among them: headings.py)."""
    front_matter: dict[str, Any] = field(default_factory=dict)
    """A markdown book's front-matter fields, as its settings read them (inbox/settings.py); else empty."""


# ----------------------------------------------------------------------------- decoding


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Given raw bytes, return (text, encoding, warnings); raise TextError for binary or empty input."""
    if kind := sniff(data):
        what, suffix = kind
        rename = f": name it *{suffix} to read it as one" if suffix else ""
        raise TextError(f"not plain text: the file is {what}{rename}")
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
        raise TextError("binary file (contains NUL bytes): only plain text (.txt), markdown (.md) and the book "
                        "formats in docs/input.md can be read; if it is UTF-16 text without a byte order mark, "
                        "re-save it as UTF-8")
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
                        "(.txt), markdown (.md) and the book formats in docs/input.md can be read")


def clean_characters(text: str) -> str:
    """LF newlines, no BOM, invisible or control characters, NFC, straight quotes: characters only,
    no words rewritten (that is narration/normalize.py, at run time).

    Trailing spaces stay: in markdown two of them are a hard line break.
    """
    text = CONTROLS.sub("", LINE_BREAKS.sub("\n", text).translate(INVISIBLE))
    return unicodedata.normalize("NFC", text).translate(QUOTES)


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


def clean_plain(text: str, spaced: list[int] | None = None) -> str:
    """Normalized plain text in, paragraphs out (and the indexes of the paragraphs set apart appended
    to spaced: positions, not words, since a title's words may also be a line of the text)."""
    text = ILLUSTRATION.sub("", strip_gutenberg(text))
    apart: list[bool] = []
    paragraphs = [UNDERSCORE_EMPHASIS.sub(r"\1", p) for p in paragraphs_of(text, apart)]  # letters all kept
    if spaced is not None:
        spaced += [index for index, flag in enumerate(apart) if flag]
    return "\n\n".join(paragraphs)


def read_markdown(body: str, fields: dict[str, Any]) -> tuple[str, list[str], dict[str, Any], list[str], list[int]]:
    """Normalized markdown after its front matter, and the front matter's fields, in; (its text, chapter
    headings, metadata, warnings, heading levels) out (markdown.py)."""
    from .markdown import MarkupTooDeep, book_metadata, markdown_body

    try:
        markdown = markdown_body(body, fields)
    except MarkupTooDeep as exc:  # the parser would leave out what lies deeper: read every line instead
        return (clean_plain(body), [], {**EMPTY_METADATA, **book_metadata(fields)},
                [f"{exc}: read as plain text, markup and all, so that no text is lost"], [])
    return ("\n\n".join(markdown.paragraphs), list(markdown.headings), {**EMPTY_METADATA, **markdown.metadata},
            list(markdown.warnings), list(markdown.levels))


# ----------------------------------------------------------------------------- the entry point


CALIBRE_SUFFIXES = (".mobi", ".azw", ".azw3", ".prc", ".pdb", ".lit", ".lrf", ".rtf", ".odt", ".docm")
"""Read through Calibre's `ebook-convert` (calibre.py), when it is installed."""
FB2_SUFFIXES = (".fb2.zip", ".fbz", ".fb2")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
BOOK_SUFFIXES = (".txt", ".md", ".epub", ".docx", *FB2_SUFFIXES, *HTML_SUFFIXES, ".pdf", *CALIBRE_SUFFIXES)
"""What `read_book` reads, and so what the inbox watcher takes."""


def source_suffix(name: str) -> str:
    """The suffix of a book's copy in its job folder, by its name: one of BOOK_SUFFIXES (.txt for any other)."""
    lower = name.lower()
    return next((suffix for suffix in BOOK_SUFFIXES if lower.endswith(suffix)), ".txt")


def read_parts(book: BookParts) -> SourceText:
    """Given what a structured reader found (parts.py), return its clean text, headings, metadata and lexicons."""
    paragraphs = [clean_characters(p) for p in book.paragraphs]
    headings = tuple(clean_characters(h) for h in book.headings)
    titles = tuple(" ".join(clean_characters(t).split()) for t in book.titles)
    text = "\n\n".join(p for p in paragraphs if is_spoken(p))
    metadata = {**EMPTY_METADATA, **book.metadata}
    return SourceText(text, book.encoding, tuple(book.warnings), headings, titles, metadata,
                      tuple(book.lexicons), tuple(book.levels))


def read_structured(data: bytes, suffix: str) -> BookParts:
    """Given a structured book's bytes and its suffix, return its parts from the reader for the suffix."""
    if suffix == ".epub":
        from .epub import read_epub
        return read_epub(data)
    if suffix == ".docx":
        from .docx import read_docx
        return read_docx(data)
    if suffix in FB2_SUFFIXES:
        from .fb2 import read_fb2
        return read_fb2(data)
    if suffix in HTML_SUFFIXES:
        from .html import read_html
        return read_html(data)
    if suffix == ".pdf":
        try:
            from .pdf import read_pdf
        except ImportError as exc:
            raise TextError(f"PDF support is not installed ({exc}); convert the book to EPUB or text") from None
        return read_pdf(data)
    from .calibre import read_calibre
    return read_calibre(data, suffix)


def read_structured_book(data: bytes, suffix: str) -> SourceText:
    """Given the bytes of a book that is not plain text or markdown, return its clean text, TOC headings,
    metadata and lexicons; raise TextError when it cannot be read."""
    try:
        book = read_structured(data, suffix)
    except BookError as exc:
        raise TextError(str(exc)) from None
    return read_parts(book)


def read_epub_book(data: bytes) -> SourceText:
    """Given an EPUB's bytes, return its clean text, TOC headings, metadata and lexicons."""
    return read_structured_book(data, ".epub")


@dataclass(frozen=True)
class Decoded:
    """A text book's characters, decoded and cleaned once: ingest takes a markdown book's settings from
    its front matter before the job exists, and `read_book` reads the rest without decoding again."""

    text: str
    """The clean characters (`clean_characters`); for markdown, what follows the front matter."""
    encoding: str
    warnings: tuple[str, ...]
    front_matter: dict[str, Any] = field(default_factory=dict)
    """A markdown book's front-matter fields (frontmatter.py), parsed once for its settings and its metadata."""


def decode_book(data: bytes, name: str) -> Decoded:
    """Given a plain-text or markdown book's bytes and file name, return it decoded, cleaned and, for
    markdown, split from its front matter; raise TextError for binary or empty input."""
    from .frontmatter import split_front_matter

    raw, encoding, warnings = decode(data)
    text, fields = clean_characters(raw), {}
    if source_suffix(name) == ".md":
        text, fields = split_front_matter(text)
    return Decoded(text, encoding, tuple(warnings), fields)


def read_book(data: bytes, name: str, decoded: Decoded | None = None) -> SourceText:
    """Given a book's bytes and file name, return its clean text; raise TextError when unusable.

    By the name's suffix (any case): `.md` is markdown, `.txt` or any suffix not in BOOK_SUFFIXES plain
    text, every other one of BOOK_SUFFIXES the reader for its format (`read_structured`).
    decoded: what `decode_book` already made of these bytes, so they are not decoded again.
    """
    suffix = source_suffix(name)
    if suffix not in (".md", ".txt"):
        book = read_structured_book(data, suffix)
        encoding, warnings, text = book.encoding, list(book.warnings), book.text
        headings, metadata, lexicons, titles = list(book.headings), book.metadata, book.lexicons, book.titles
        levels, spaced, front_matter = list(book.levels), [], {}
    else:
        decoded = decoded or decode_book(data, name)
        text, encoding, warnings = decoded.text, decoded.encoding, list(decoded.warnings)
        front_matter = decoded.front_matter
        headings, lexicons, titles, levels, spaced = [], (), (), [], []
        if suffix == ".md":
            text, headings, metadata, more, levels = read_markdown(text, front_matter)
            warnings += more
        else:
            start = GUTENBERG_START.search(text)
            metadata = gutenberg_metadata(text[:start.start()]) if start else dict(EMPTY_METADATA)
            text = clean_plain(text, spaced)
    if not text:
        raise TextError("no readable text left after cleaning (only markup, front matter, code or "
                        "punctuation); check that this is the book's text")
    for warning in warnings:
        log.debug("%s: %s", name, warning)
    return SourceText(text, encoding, tuple(warnings), tuple(headings), tuple(titles), metadata, tuple(lexicons),
                      tuple(levels), tuple(spaced), dict(front_matter))
