"""An EPUB's navigation: its table of contents (EPUB 3 nav, else EPUB 2 NCX) and its landmarks.

Each TOC entry is (path, fragment, label, level): the level counts the lists (or navPoints) it
is nested in, 1 at the top. A nav group labelled without a link (`<li><span>Part One</span><ol>`)
titles the numbered entries under it: `I` becomes `Part One — I` (docs/input.md, the chapter tree).
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from .epubzip import BookZip, markup_text, NS, resolve
from .xhtml import SKIPPED_TYPES, types_of

SKIPPED_LANDMARKS = SKIPPED_TYPES | {"title-page"}  # EPUB 2's guide spells it title-page
NUMBER_ONLY = re.compile(r"([ivxlcdm]+|\d+)\.?$", re.I)
"""A TOC label that is a number alone: under a nav group's label it is titled by the group."""


def landmarks(book: BookZip, opf_path: str, opf: ElementTree.Element, nav_path: str | None) -> dict[str, str]:
    """Documents the book's guide (EPUB 2) or landmarks (EPUB 3) name as cover, title page, copyright, toc."""
    found: dict[str, str] = {}
    for ref in opf.iterfind(".//opf:guide/opf:reference", NS):
        if ref.get("type", "").lower() in SKIPPED_LANDMARKS:
            path, fragment = resolve(opf_path, ref.get("href", ""))
            if not fragment:
                found[path] = ref.get("type", "").lower()
    if nav_path:
        for link in nav_links(book, nav_path, "landmarks"):
            if link[3] & SKIPPED_LANDMARKS and not link[1]:
                found[link[0]] = sorted(link[3] & SKIPPED_LANDMARKS)[0]
    return found


def nav_links(book: BookZip, nav_path: str, kind: str) -> list[tuple[str, str, str, set[str], int]]:
    """(path, fragment, label, epub:types, level) of each link in the nav document's `<nav epub:type=kind>`;
    the level counts the lists it is nested in (1 at the top)."""
    from html.parser import HTMLParser

    links: list[tuple[str, str, str, set[str], int]] = []

    class NavReader(HTMLParser):
        depth = 0  # > 0 inside the wanted nav
        lists = 0  # <ol> (or <ul>) open inside it
        link: list[Any] | None = None
        group: list[Any] | None = None  # a <span> label with no link ("Part One" over its chapters)
        groups: dict[int, str] = {}  # {list depth: the label over the lists nested below it}

        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            if tag == "nav" and kind in types_of(attributes):
                self.depth = 1
            elif tag == "nav" and self.depth:
                self.depth += 1
            elif tag in ("ol", "ul") and self.depth:
                self.lists += 1
            elif tag == "a" and self.depth and attributes.get("href"):
                path, fragment = resolve(nav_path, attributes["href"] or "")
                self.link = [path, fragment, "", types_of(attributes), max(1, self.lists)]
            elif tag == "span" and self.depth and self.link is None and self.group is None:
                self.group = ["", self.lists]

        def handle_endtag(self, tag):
            if tag == "nav" and self.depth:
                self.depth -= 1
            elif tag in ("ol", "ul") and self.depth and self.lists:
                self.lists -= 1
                self.groups = {level: label for level, label in self.groups.items() if level <= self.lists}
            elif tag == "a" and self.link is not None:
                self.link[2] = label = " ".join(self.link[2].split())
                above = [level for level in self.groups if level < self.link[4]]
                if above and NUMBER_ONLY.match(label):  # "I" under "Part One": "Part One — I"
                    self.link[2] = f"{self.groups[max(above)]} — {label}"
                links.append(tuple(self.link))
                self.link = None
            elif tag == "span" and self.group is not None:
                label, level = " ".join(self.group[0].split()), self.group[1]
                if label:
                    self.groups[level] = label.rstrip(" .:")
                self.group = None

        def handle_data(self, data):
            if self.link is not None:
                self.link[2] += data
            elif self.group is not None:
                self.group[0] += data

    reader = NavReader(convert_charrefs=True)
    reader.feed(markup_text(book.read(nav_path)))
    reader.close()
    return links


def table_of_contents(book: BookZip, opf_path: str, opf: ElementTree.Element, manifest: dict[str, dict[str, str]],
                      spine: ElementTree.Element) -> tuple[list[tuple[str, str, str, int]], str | None]:
    """Return ((path, fragment, label, level) of each TOC entry, in order; the nav document's path or None)."""
    nav = next((i["path"] for i in manifest.values() if "nav" in i["props"].split()), None)
    if nav and nav in book.names:
        entries = [(*link[:3], link[4]) for link in nav_links(book, nav, "toc")]
        if entries:
            return entries, nav
    ncx_id = spine.get("toc") or next((k for k, i in manifest.items() if i["type"] == "application/x-dtbncx+xml"), "")
    if ncx_id in manifest and manifest[ncx_id]["path"] in book.names:
        ncx_path = manifest[ncx_id]["path"]
        root = book.xml(ncx_path)
        return ncx_entries(next(root.iter(f"{{{NS['ncx']}}}navMap"), root), ncx_path), nav
    return [], nav


def ncx_entries(parent: ElementTree.Element, ncx_path: str, level: int = 1) -> list[tuple[str, str, str, int]]:
    """(path, fragment, label, level) of each navPoint under parent, in order, a nested one a level deeper."""
    entries = []
    for point in parent.findall("ncx:navPoint", NS):
        content = point.find("ncx:content", NS)
        label = point.find("ncx:navLabel", NS)
        if content is not None:
            text = " ".join("".join(label.itertext()).split()) if label is not None else ""
            entries.append((*resolve(ncx_path, content.get("src", "")), text, level))
        entries += ncx_entries(point, ncx_path, level + 1)
    return entries
