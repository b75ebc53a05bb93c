"""A markdown or plain-text book as XHTML content documents, one per chapter, for its read-along EPUB.

Markdown is rendered by markdown-it-py with the reader's own parser (books/markdown.py: the same
plugins), cut at the book's chapter headings; code blocks are shown (and never spoken: the
overlay reads these documents with `pre` skipped). Images are left out (the book's image files
are not at hand), links to local files lose their target, footnote links point across documents.
Raw HTML that is not XHTML makes its chapter plain paragraphs. Plain text: the clean text's
paragraphs, cut where each chapter's first sentence is, the chapter's heading an `<h1>`.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

from ..books import decode_book, MARKDOWN_PARSER, SourceText
from . import epub3
from .overlay import key
from .timings import BookTimings

VOID_HTML = re.compile(r"<(br|hr|wbr)\b([^>]*?)\s*/?>", re.I)
IMAGE = re.compile(r"<img\b[^>]*>", re.I)
LOCAL_HREF = re.compile(r"""\shref=(["'])(?!#|[A-Za-z][\w+.-]*:)[^"']*\1""")
FRAGMENT_HREF = re.compile(r"""href="#([^"]*)\"""")
ID_ATTRIBUTE = re.compile(r"""\sid=["']([^"']*)["']""")


@dataclass
class Document:
    """A spine document to annotate: its zip path and markup."""

    path: str
    markup: str
    code: bool = True
    """Whether `pre` is spoken (EPUB) or not (rendered markdown)."""
    item_id: str = ""
    title: str = ""
    encoding: str = "utf-8"


def text_documents(clean: str, timings: BookTimings, language: str) -> list[Document]:
    """One document per chapter (from its first sentence's paragraph), `<h1>` for its heading, `<p>` for the rest."""
    paragraphs = clean.split("\n\n")
    offsets = [0]
    for paragraph in paragraphs:
        offsets.append(offsets[-1] + len(paragraph) + 2)
    titles = {int(chapter["index"]): str(chapter.get("title") or "") for chapter in timings.chapters}
    starts: dict[int, str] = {}
    for sentence in timings.sentences:
        if sentence.source and sentence.chapter not in starts.values():
            first = bisect.bisect_right(offsets, sentence.source[0]) - 1
            starts.setdefault(first, sentence.chapter)
    cuts = sorted(set(starts) | {0})
    documents = []
    for number, (start, end) in enumerate(zip(cuts, cuts[1:] + [len(paragraphs)]), start=1):
        title = titles.get(starts.get(start, -1)) or titles.get(min(titles, default=-1)) or f"Part {number}"
        blocks = []
        for index in range(start, end):
            text = "<br/>\n".join(html.escape(line, quote=False) for line in paragraphs[index].split("\n"))
            heading = index - start < 2 and key(paragraphs[index]) and key(paragraphs[index]) in key(title)
            tag = ("h1" if index == start else "h2") if heading else "p"
            blocks.append(f"<{tag}>{text}</{tag}>")
        documents.append(Document(f"EPUB/ch{number:03d}.xhtml", epub3.xhtml(title, language, "\n".join(blocks)),
                                  title=title))
    return documents


def markdown_documents(data: bytes, name: str, book: SourceText, language: str, warnings: list[str]
                        ) -> list[Document]:
    """The markdown body rendered by markdown-it-py, cut at the chapter headings: one document per chapter."""
    env: dict = {}
    tokens = MARKDOWN_PARSER.parse(decode_book(data, name).text, env)
    wanted = [key(heading) for heading in book.headings]
    cuts, titles = [0], [book.metadata.get("title") or Path(name).stem]
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and wanted and index + 1 < len(tokens):
            text = "".join(c.content for c in tokens[index + 1].children or [] if c.type in ("text", "code_inline"))
            if key(text) == wanted[0]:
                wanted.pop(0)
                if index:
                    cuts.append(index)
                    titles.append(" ".join(text.split()))
                else:
                    titles[0] = " ".join(text.split())
    bodies = [MARKDOWN_PARSER.renderer.render(tokens[a:b], MARKDOWN_PARSER.options, env)
              for a, b in zip(cuts, cuts[1:] + [len(tokens)])]
    images = sum(len(IMAGE.findall(body)) for body in bodies)
    if images:
        warnings.append(f"{images} image(s) left out: a markdown book's images are not in the EPUB")
    bodies = [LOCAL_HREF.sub("", VOID_HTML.sub(r"<\1\2/>", IMAGE.sub("", body))) for body in bodies]
    paths = [f"EPUB/ch{number:03d}.xhtml" for number in range(1, len(bodies) + 1)]
    ids = {path: set(ID_ATTRIBUTE.findall(body)) for path, body in zip(paths, bodies)}

    def link(path: str, match: re.Match) -> str:  # a footnote lives in the last document, its reference anywhere
        if match.group(1) in ids[path]:
            return match.group(0)
        home = next((p for p in paths if match.group(1) in ids[p]), None)
        return f'href="{epub3.href(path, home)}#{match.group(1)}"' if home else 'href="#"'

    documents = []
    for path, body, title in zip(paths, bodies, titles):
        markup = epub3.xhtml(title, language, FRAGMENT_HREF.sub(lambda m: link(path, m), body))
        try:
            ElementTree.fromstring(markup.encode())
        except ElementTree.ParseError as exc:
            warnings.append(f"{path} ({title}): its raw HTML is not XHTML ({exc}); shown as plain paragraphs")
            markup = epub3.xhtml(title, language, "\n".join(f"<p>{html.escape(p)}</p>" for p in _visible(body)))
        documents.append(Document(path, markup, code=False, title=title))
    return documents


def _visible(body: str) -> list[str]:
    """The paragraphs a reader sees of a rendered body that is not well-formed: its text, lines apart."""
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = parts.append
    parser.feed(body)
    parser.close()
    return [p for p in " ".join(parts).split("\n") if p.strip()]
