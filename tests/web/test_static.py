"""The page's own files: all in the package, all shipped in the wheel, nothing from elsewhere, no inline code."""

from __future__ import annotations

import fnmatch
import re
from importlib import resources
from pathlib import Path

from kokoro_narrator.core import tomllib
from kokoro_narrator.web.app import STATIC

REPO = Path(__file__).resolve().parents[2]


def test_every_file_of_the_page_is_package_data_of_the_wheel():
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["kokoro_narrator.web"]
    folder = resources.files("kokoro_narrator.web") / "static"
    for name in STATIC:
        assert (folder / name).is_file(), name
        assert any(fnmatch.fnmatch(f"static/{name}", pattern) for pattern in patterns), name


def test_the_page_loads_only_its_own_files_and_has_no_inline_script_or_style():
    folder = resources.files("kokoro_narrator.web") / "static"
    html = (folder / "index.html").read_text()
    referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert referenced and all(ref.startswith("/static/") and ref.removeprefix("/static/") in STATIC for ref in referenced)
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/app.js" defer>']
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html)
    script = (folder / "app.js").read_text()
    assert not re.search(r"https?://|\beval\(|new Function|innerHTML|insertAdjacentHTML|document\.write", script)
