"""A book's chunks as they go to G2P: nonspeech out, then the lexicons, then the rules, in one place.

The daemon (`jobs/texts.py`, for the runner), `chunk --text` and `synth` (cli/preview.py)
all read a book through `speakable_chunks`, so what the preview shows is what the daemon reads.
Each step stays in its own module (nonspeech.py, lexicon.py, normalize.py); this one only
composes them and says where a job's lexicons come from (`speakable_job`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .entries import Lexicon
from .lexicon import book_lexicon, read_kept_sidecar, SIDECAR_COPY
from .nonspeech import strip_nonspeech
from .normalize import ENGLISH, normalize
from .pls import parse_book_pls, read_kept_pls

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Speakable:
    """A book's chunk texts as they go to G2P, and what the lexicon and the rules did."""

    texts: list[str]
    lexicon_used: dict[str, str]
    """The lexicon entries that matched, {word: how it is said}."""
    skipped: tuple[str, ...] = ()
    """Paragraphs not read (image file names)."""

    def record(self) -> dict:
        """What job.json's `source` keeps of it: the lexicon entries used, the paragraphs not read."""
        return {"lexicon_used": self.lexicon_used, "not_read": list(self.skipped)}


def speakable_texts(texts: list[str], settings: dict, headings: Collection[str] = (),
                    sidecar: tuple[str, bytes] | None = None, pls: Lexicon = Lexicon()) -> Speakable:
    """Given chunk texts (after the non-speech filter), a job's settings, the book's headings, its
    sidecar lexicon (file name, bytes) and its PLS entries (pls.parse_book_pls), return the texts as
    they go to G2P: lexicon first, then the rules.

    Settings made before normalization existed (no `normalizer_version`) keep their texts as they
    were, so an old job resumes as it began. Raise lexicon.LexiconError for a bad lexicon.
    """
    if "normalizer_version" not in settings:
        return Speakable(list(texts), {})
    lang_code = settings.get("lang_code", "a")
    lexicon = book_lexicon(settings, sidecar[1] if sidecar else None, pls, *(sidecar[:1] if sidecar else ()))
    out, used, skipped = [], {}, []
    for text in texts:
        text, more = lexicon.apply(text, lang_code in ENGLISH)
        used.update(more)
        normalized = normalize(text, lang_code, headings)
        out.append(normalized.text)
        skipped += normalized.skipped
    return Speakable(out, dict(sorted(used.items())), tuple(skipped))


def speakable_chunks(plan: Any, book: Any, settings: dict, sidecar: tuple[str, bytes] | None = None,
                     pls: Lexicon = Lexicon()) -> Speakable:
    """Given a book's ChunkPlan, its SourceText, the job's settings, its sidecar lexicon and PLS entries,
    return every chunk as it goes to G2P: nonspeech out (recorded per chunk at ingest), lexicons, rules.

    Every line of a chapter's heading block is read as a heading (the book's and the plan's headings).
    """
    texts = [strip_nonspeech(chunk.text)[0] for chunk in plan.chunks]
    return speakable_texts(texts, settings, (*book.headings, *plan.headings), sidecar, pls)


def speakable_job(plan: Any, book: Any, settings: dict, source: dict, folder: Path) -> Speakable:
    """Given a job's ChunkPlan, read book, settings, source record and folder, return `speakable_chunks`
    with the lexicons the job keeps: its copy of the sidecar and the PLS entries ingest parsed."""
    data = read_kept_sidecar(folder)
    sidecar = (source.get("lexicon_sidecar") or SIDECAR_COPY, data) if data is not None else None
    pls = read_kept_pls(folder)
    if pls is None:  # none kept: a book without PLS, or a job made before they were kept
        pls = parse_book_pls(getattr(book, "lexicons", ()) or (), settings.get("lang_code") == "b")[0]
    result = speakable_chunks(plan, book, settings, sidecar, pls)
    for paragraph in result.skipped:
        log.info("%s: not read, an image file name: %.80s", source.get("name", "book"), paragraph)
    return result
