"""Formats read through Calibre (books/calibre.py): ebook-convert to EPUB, then the EPUB reader.

A fake `ebook-convert` on PATH (a script that copies a prepared EPUB to its output argument)
proves the path without Calibre; the real conversion runs only where Calibre is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kokoro_narrator.books import calibre
from kokoro_narrator.books.reader import read_book, TextError

from support.epubs import epub2, epub3

REAL = shutil.which("ebook-convert")
FAKE = f"""#!{sys.executable}
import os, shutil, subprocess, sys, time
with open(os.environ["FAKE_CALLS"], "a") as calls:
    calls.write(" ".join(sys.argv[1:]) + "\\n")
mode = os.environ.get("FAKE_MODE", "copy")
if mode == "hang":
    child = subprocess.Popen(["sleep", "60"])
    open(os.environ["FAKE_CHILD"], "w").write(str(child.pid))
    time.sleep(60)
if mode == "escape":  # a worker in a session of its own holds the output open long after the program ends
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    open(os.environ["FAKE_CHILD"], "w").write(str(child.pid))
    sys.exit(0)
if mode == "fail":
    print("ValueError: not a book Calibre knows")
    sys.exit(1)
shutil.copy(os.environ["FAKE_EPUB"], sys.argv[2])
"""


def mobi(encryption: int = 0) -> bytes:
    """A Palm database of type BOOKMOBI: one record whose PalmDOC header names the encryption type."""
    header = b"Fake Book".ljust(32, b"\0") + bytes(28) + b"BOOKMOBI" + bytes(8) + struct.pack(">H", 1)
    record = struct.pack(">HHIHHHH", 2, 0, 100, 1, 4096, encryption, 0)
    return header + struct.pack(">IB3s", len(header) + 8, 0, b"\0\0\1") + record + b"text"


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A fake ebook-convert alone on PATH (with sleep), and the file it logs its calls to."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "ebook-convert"
    script.write_text(FAKE)
    script.chmod(0o755)
    (folder / "sleep").symlink_to(shutil.which("sleep"))
    (tmp_path / "book.epub").write_bytes(epub3())
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("FAKE_EPUB", str(tmp_path / "book.epub"))
    monkeypatch.setenv("FAKE_CALLS", str(tmp_path / "calls"))
    monkeypatch.setenv("FAKE_CHILD", str(tmp_path / "child"))
    monkeypatch.setattr(calibre, "cache", type(calibre.cache)())
    return tmp_path / "calls"


@pytest.mark.parametrize("name", ["book.mobi", "book.AZW3", "book.rtf", "book.odt", "book.lit"])
def test_a_book_calibre_reads_is_converted_to_epub_and_read_as_one(fake, name):
    book = read_book(mobi() if "mobi" in name else b"{\\rtf1 fake}", name)
    assert book.text == read_book(epub3(), "book.epub").text
    assert book.headings == read_book(epub3(), "book.epub").headings
    assert book.warnings[0] == f"converted from {Path(name).suffix.lower()} to EPUB by Calibre's ebook-convert"
    source, target = fake.read_text().split()
    assert source.endswith(Path(name).suffix.lower()) and target.endswith(".epub")


def test_a_book_is_converted_once_for_all_its_reads(fake):
    for _ in range(3):
        read_book(mobi(), "book.mobi")
    assert len(fake.read_text().splitlines()) == 1


def test_without_calibre_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TextError, match=r"ebook-convert, which is not installed: install Calibre .*sudo apt install "
                                        r"calibre"):
        read_book(b"{\\rtf1 fake}", "book.rtf")


def test_a_failed_conversion_says_what_calibre_said(fake, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "fail")
    with pytest.raises(TextError, match="could not convert the .rtf book .exit status 1: ValueError: not a book"):
        read_book(b"{\\rtf1 fake}", "book.rtf")


def test_a_conversion_past_its_time_is_killed_with_its_workers(fake, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "hang")
    started = time.monotonic()
    with pytest.raises(calibre.BookError, match="took more than 1 s"):
        calibre.convert(b"{\\rtf1 fake}", ".rtf", seconds=1)
    assert time.monotonic() - started < 10
    child = int((fake.parent / "child").read_text())
    time.sleep(0.2)
    assert not alive(child)  # the worker it started went with it


def test_a_worker_that_left_the_group_does_not_hold_the_conversion(fake, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "escape")
    started = time.monotonic()
    try:
        with pytest.raises(calibre.BookError, match=r"could not convert the .rtf book \(exit status 0: no output\)"):
            calibre.convert(b"{\\rtf1 fake}", ".rtf", seconds=30)
        assert time.monotonic() - started < 5  # the output went to a pipe the worker held: 60 s here, any time there
    finally:
        os.kill(int((fake.parent / "child").read_text()), signal.SIGKILL)


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, killed but not yet reaped by whoever adopted it, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("data", [mobi(encryption=2), mobi(encryption=1), b"\xeaDRMION\xee" + bytes(100)])
def test_drm_protected_kindle_books_are_refused_before_calibre_sees_them(fake, data):
    with pytest.raises(TextError, match="DRM-protected: remove the protection"):
        read_book(data, "book.azw")
    assert not fake.exists()


@pytest.mark.skipif(REAL is None, reason="Calibre's ebook-convert is not installed (sudo apt install calibre)")
def test_a_real_conversion_of_an_rtf_book():
    rtf = (b"{\\rtf1\\ansi{\\fonttbl\\f0 Times;}\\f0\\fs24 "
           b"{\\pard\\s1 Chapter One\\par}{\\pard The first chapter of a small book, converted by Calibre.\\par}"
           b"{\\pard\\s1 Chapter Two\\par}{\\pard The second chapter follows the first one.\\par}}")
    book = read_book(rtf, "small.rtf")
    assert "The first chapter of a small book, converted by Calibre." in book.text
    assert "The second chapter follows the first one." in book.text


@pytest.mark.skipif(REAL is None, reason="Calibre's ebook-convert is not installed (sudo apt install calibre)")
def test_a_real_mobi_made_from_an_epub_keeps_its_chapters(tmp_path):
    """Calibre's MOBI: one file, the TOC pointing at file positions (the first at a page number before its heading)."""
    (tmp_path / "book.epub").write_bytes(epub2())
    subprocess.run([REAL, "book.epub", "book.mobi"], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    book = read_book((tmp_path / "book.mobi").read_bytes(), "book.mobi")
    epub = read_book(epub2(), "book.epub")
    assert book.titles == epub.titles == ("Chapter One: The Gate", "Chapter Two: The Hills", "A Part")
    assert book.headings == epub.headings
    assert "The keeper said so and went in." in book.text
