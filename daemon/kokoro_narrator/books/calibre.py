"""Kindle, RTF, ODT and other books through Calibre: converted to EPUB by `ebook-convert`, then read as EPUB.

Calibre (GPL v3) is not a dependency: it is run as a program when it is installed (`sudo apt install
calibre`), and a book of these formats fails with that one-line fix when it is not. The conversion
runs in a temporary folder, in its own process group, killed with all its workers after
CONVERT_SECONDS. DRM-protected Kindle books are refused before Calibre sees them, as DRM EPUBs are:
a MOBI/AZW whose PalmDOC header (the first record, offset 12) names an encryption type, or a KFX
DRMION container. The last few conversions are kept in memory by the bytes' hash: the daemon reads
a book at ingest, again for each run and for its read-along EPUB, and converts it once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from .epub import read_epub
from .parts import BookError, BookParts

CONVERT_SECONDS = 600
"""The longest one conversion may take; then ebook-convert and its workers are killed."""
CACHED = 4
DRM = "DRM-protected: remove the protection with the tool you bought it with, then drop it in again"
INSTALL = "install Calibre to read it (sudo apt install calibre), or convert it to EPUB yourself"
cache: OrderedDict[str, bytes] = OrderedDict()
cache_lock = threading.Lock()


def refuse_drm(data: bytes) -> None:
    """Raise BookError for an encrypted Kindle book: a Palm database of type BOOKMOBI whose first record's
    PalmDOC header has a non-zero encryption type (1: old Mobipocket, 2: Mobipocket DRM), or a KFX DRMION."""
    if data.startswith(b"\xeaDRMION\xee"):
        raise BookError(f"{DRM} (a Kindle KFX book with DRM)")
    if data[60:68] != b"BOOKMOBI" or len(data) < 86:
        return
    records, = struct.unpack(">H", data[76:78])
    offset, = struct.unpack(">I", data[78:82])
    if records and offset + 14 <= len(data):
        encryption, = struct.unpack(">H", data[offset + 12:offset + 14])
        if encryption:
            raise BookError(f"{DRM} (the Kindle book's header names encryption type {encryption})")


def convert(data: bytes, suffix: str, seconds: float = CONVERT_SECONDS) -> bytes:
    """Given a book's bytes and suffix, return the EPUB ebook-convert makes of it; raise BookError."""
    program = shutil.which("ebook-convert")
    if program is None:
        raise BookError(f"a {suffix} book needs Calibre's ebook-convert, which is not installed: {INSTALL}")
    with tempfile.TemporaryDirectory(prefix="kokoro-calibre-") as folder:
        source, target = Path(folder) / f"book{suffix}", Path(folder) / "book.epub"
        source.write_bytes(data)
        log = Path(folder) / "convert.log"  # a file, not a pipe: a worker that left the group cannot hold the wait
        with log.open("wb") as output:
            process = subprocess.Popen([program, str(source), str(target)], stdin=subprocess.DEVNULL,
                                       stdout=output, stderr=subprocess.STDOUT, cwd=folder,
                                       start_new_session=True)  # its own group: its workers die with it
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise BookError(f"Calibre's ebook-convert took more than {seconds:.0f} s to convert the {suffix} book "
                            "and was stopped; convert it to EPUB yourself") from None
        try:
            os.killpg(process.pid, signal.SIGKILL)  # workers it left behind in its group
        except ProcessLookupError:
            pass
        last = " ".join(log.read_bytes()[-4096:].decode("utf-8", "replace").strip().splitlines()[-1:])[-300:]
        if process.returncode or not target.is_file():
            raise BookError(f"Calibre's ebook-convert could not convert the {suffix} book (exit status "
                            f"{process.returncode}: {last or 'no output'}); convert it to EPUB yourself")
        return target.read_bytes()


def read_calibre(data: bytes, suffix: str) -> BookParts:
    """Given a book Calibre reads and its suffix, return its parts, read from the EPUB it converts it to."""
    refuse_drm(data)
    key = hashlib.sha256(data).hexdigest() + suffix
    with cache_lock:
        epub = cache.pop(key, None)
    epub = epub or convert(data, suffix)
    with cache_lock:
        cache[key] = epub
        while len(cache) > CACHED:
            cache.popitem(last=False)
    book = read_epub(epub)
    book.warnings.insert(0, f"converted from {suffix} to EPUB by Calibre's ebook-convert")
    return book
