"""The read-along EPUB's own parts: SMIL overlays, chapter audio, package metadata, navigation, the zip.

Audio is one AAC `.m4a` per chapter, cut from the book's WAV. AAC in MP4 rather than MP3: the
MP4 muxer records the encoder's priming delay in an edit list, so a player starts the clip
at sample 0 of our audio and the SMIL clip times stay exact (an MP3's delay is only guessed by
players); and the M4B encoder (audio/encode.py) already makes AAC, so no new codec is needed.

The zip is deterministic: mimetype first and stored, one fixed timestamp, new entries sorted.
"""

from __future__ import annotations

import html
import posixpath
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import soundfile as sf

from ..audio import encode_book, Tags

ZIP_TIME = (2000, 1, 1, 0, 0, 0)
MODIFIED = "2000-01-01T00:00:00Z"
"""dcterms:modified of a made book: fixed, so the same input makes the same bytes."""
ACTIVE_CLASS = "-epub-media-overlay-active"
CSS = f""".{ACTIVE_CLASS} {{
  background-color: #fff2a8;
  color: inherit;
}}
"""
SMIL_TYPE = "application/smil+xml"
AUDIO_TYPE = "audio/mp4"
BLOCK_FRAMES = 1 << 16


def clock(seconds: float) -> str:
    """Seconds as a SMIL full clock value, H:MM:SS.mmm."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def href(source: str, target: str) -> str:
    """The URL of zip path target, relative to the file at zip path source."""
    return quote(posixpath.relpath(target, posixpath.dirname(source) or "."), safe="/-._~")


def smil(path: str, pars: list[tuple[str, str, str, float, float]]) -> str:
    """A media overlay at zip path `path`: one par per (document path, fragment, audio path, begin, end)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">',
             "<body>"]
    for number, (document, fragment, audio, begin, end) in enumerate(pars, start=1):
        text = html.escape(f"{href(path, document)}#{quote(fragment, safe='-._~')}")
        lines.append(f'<par id="par{number}"><text src="{text}"/><audio src="{html.escape(href(path, audio))}" '
                     f'clipBegin="{begin:.3f}s" clipEnd="{end:.3f}s"/></par>')
    return "\n".join(lines + ["</body>", "</smil>", ""])


def cut_chapter(wav: Path, start: float, end: float, target: Path) -> None:
    """Encode [start, end) seconds of the book's WAV as an AAC .m4a at target."""
    with tempfile.TemporaryDirectory(prefix="readalong-") as folder:
        piece = Path(folder) / "chapter.wav"
        with sf.SoundFile(str(wav)) as source:
            rate = source.samplerate
            first, last = round(start * rate), min(round(end * rate), source.frames)
            source.seek(min(first, source.frames))
            with sf.SoundFile(str(piece), "w", rate, source.channels, "PCM_16") as out:
                left = max(0, last - first)
                while left:
                    block = source.read(min(BLOCK_FRAMES, left), dtype="float32", always_2d=True)
                    if not len(block):
                        break
                    out.write(block)
                    left -= len(block)
        encode_book(piece, target, "m4b", Tags(title=target.stem), [])  # the ipod muxer writes plain MP4 audio


def write_zip(f: BinaryIO, entries: list[tuple[str, bytes, int]]) -> None:
    """Write (name, data, compression) entries as an EPUB zip: mimetype first and stored, fixed times."""
    with zipfile.ZipFile(f, "w") as book:
        for name, data, compression in [("mimetype", b"application/epub+zip", zipfile.ZIP_STORED)] + entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            info.create_system = 3
            book.writestr(info, data)


def container(opf_path: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">\n'
            f'  <rootfiles><rootfile full-path="{html.escape(opf_path)}" '
            'media-type="application/oebps-package+xml"/></rootfiles>\n</container>\n')


def xhtml(title: str, language: str, body: str) -> str:
    """An XHTML content document around body."""
    lang = html.escape(language)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
            f'xml:lang="{lang}" lang="{lang}">\n<head>\n<meta charset="utf-8"/>\n'
            f"<title>{html.escape(title)}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def nav(title: str, language: str, entries: list[tuple[str, str]]) -> str:
    """The navigation document: a table of contents of (href, label)."""
    items = "\n".join(f'<li><a href="{html.escape(link)}">{html.escape(label)}</a></li>' for link, label in entries)
    return xhtml(title, language, f'<nav epub:type="toc" id="toc">\n<h1>{html.escape(title)}</h1>\n<ol>\n{items}\n'
                                  "</ol>\n</nav>")


def package(uid: str, title: str, authors: list[str], language: str, manifest: list[str], spine: list[str],
            metas: list[str]) -> str:
    """A made book's package document; manifest items and metas come as markup, spine as item ids."""
    creators = "".join(f"\n<dc:creator>{html.escape(author)}</dc:creator>" for author in authors)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" '
            f'xml:lang="{html.escape(language)}">\n<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f'<dc:identifier id="uid">{uid}</dc:identifier>\n<dc:title>{html.escape(title)}</dc:title>{creators}\n'
            f'<dc:language>{html.escape(language)}</dc:language>\n'
            f'<meta property="dcterms:modified">{MODIFIED}</meta>\n' + "\n".join(metas) + "\n</metadata>\n"
            "<manifest>\n" + "\n".join(manifest) + "\n</manifest>\n<spine>\n"
            + "\n".join(f'<itemref idref="{html.escape(item)}"/>' for item in spine) + "\n</spine>\n</package>\n")


def item(item_id: str, link: str, media_type: str, extra: str = "") -> str:
    return f'<item id="{html.escape(item_id)}" href="{html.escape(link)}" media-type="{media_type}"{extra}/>'


def overlay_metas(durations: dict[str, float]) -> list[str]:
    """media:duration of each overlay (by its manifest id) and of all, and the active class."""
    metas = [f'<meta property="media:duration" refines="#{html.escape(smil_id)}">{clock(seconds)}</meta>'
             for smil_id, seconds in durations.items()]
    total = sum(round(seconds, 3) for seconds in durations.values())
    return metas + [f'<meta property="media:duration">{clock(total)}</meta>',
                    f'<meta property="media:active-class">{ACTIVE_CLASS}</meta>']
