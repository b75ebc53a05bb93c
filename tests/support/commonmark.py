"""The CommonMark spec's examples as a test set for markdown.py (used by test_markdown.py and bench/).

`tests/data/commonmark-spec.txt` is `spec.txt` of github.com/commonmark/commonmark-spec
(version 0.31.2, commit 31c0ca2d), by John MacFarlane, under CC BY-SA 4.0: kept unchanged.

An example is read cleanly when the words spoken are exactly the words a reader sees on
the page the spec's HTML renders, as a multiset: nothing a reader would not see is spoken
(a link target, an attribute, a tag) and no visible word is dropped. What the policy leaves
out on purpose is left out on the page side too: code blocks (`<pre>`), images (their alt
text), and the contents of `script` and `style`. Ordered lists show their numbers, and
inline tags (`<em>`, `<code>`, `<a>`) glue the words around them, as on a page.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from kokoro_narrator.books.reader import TextError, clean_characters, read_book

SPEC = Path(__file__).parents[1] / "data" / "commonmark-spec.txt"
FENCE = "`" * 32
EXAMPLE = re.compile(rf"^{FENCE} example[^\n]*\n(.*?)^\.\n(.*?)^{FENCE}$", re.M | re.S)
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Example:
    number: int
    markdown: str
    html: str


def examples(path: Path = SPEC) -> list[Example]:
    """Given spec.txt, return its examples, numbered from 1 as the spec numbers them (tabs restored)."""
    text = path.read_text(encoding="utf-8")
    return [Example(n, md.replace("\u2192", "\t"), html.replace("\u2192", "\t"))
            for n, (md, html) in enumerate(EXAMPLE.findall(text), start=1)]


INLINE = frozenset("a abbr b bdi bdo cite code data del dfn em i ins kbd mark q s samp small span strong sub sup "
                   "time u var".split())


class _Visible(HTMLParser):
    """The text of rendered HTML as a reader sees it: inline tags glue, block tags separate,
    ordered list items show their numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden: list[str] = []
        self.parts: list[str] = []
        self.numbers: list[int | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("pre", "script", "style"):
            self.hidden.append(tag)
        if tag in ("ol", "ul"):
            start = dict(attrs).get("start")
            self.numbers.append((int(start) if start and start.isdigit() else 1) if tag == "ol" else None)
        if tag not in INLINE:
            self.parts.append(" ")
        if tag == "li" and self.numbers and self.numbers[-1] is not None and not self.hidden:
            self.parts.append(f"{self.numbers[-1]}. ")
            self.numbers[-1] += 1

    def handle_endtag(self, tag):
        if tag in self.hidden:
            self.hidden.remove(tag)
        if tag in ("ol", "ul") and self.numbers:
            self.numbers.pop()
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def words(text: str) -> Counter[str]:
    return Counter(WORD.findall(unicodedata.normalize("NFC", clean_characters(text)).lower()))


def visible_words(html: str) -> Counter[str]:
    """The words a reader sees on the page of an example's HTML (code, images, scripts left out)."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return words("".join(parser.parts))


def spoken_words(markdown: str) -> Counter[str]:
    """The words read_book speaks for an example's markdown (none when it has nothing to read)."""
    try:
        return words(read_book(markdown.encode("utf-8"), "example.md").text)
    except TextError:
        return Counter()


def differences(example: Example) -> tuple[Counter[str], Counter[str]]:
    """(words spoken that the page does not show, visible words not spoken) for one example."""
    spoken, seen = spoken_words(example.markdown), visible_words(example.html)
    return spoken - seen, seen - spoken
