"""`kokoro-narrator chunk --text` and `--phonemes`: what will be read, before hours of synthesis.

`preview(config, path, out)` prints, chunk by chunk and with chapter titles marked, exactly the text
that goes to G2P: the book read and cleaned (books/reader.py), cut (chunker.py), with what is not
speech taken out, the lexicons applied and the text normalized: the same steps and the same code as
the daemon's (narration/speakable.py, which `jobs/texts.py` uses too). With phonemes, each utterance
is followed by misaki's phonemes and by the words that would not be spoken, so a name can be checked
before the daemon makes the book. The book's own lexicon, `<stem>.lexicon.toml`, is taken from next
to the book, and so is its own lang_code (`<stem>.toml` or front matter, inbox/settings.py).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TextIO

from ..books import SourceText
from ..chapters import plan_book
from ..inbox import (book_cast, book_lang_code, BookSettingsError, job_settings, lexicon_sidecar, read_book_settings,
                     settings_sidecar)
from ..narration import lexicon_settings, NORMALIZE_VERSION, parse_book_pls, speakable_chunks

log = logging.getLogger(__name__)


def preview(config, path: Path, book: SourceText, out: TextIO, phonemes: bool = False,
            chapter: int | None = None, max_chunk_chars: int | None = None) -> int:
    """Given the Config, a book's path and its read text, print what will be read to out; return an exit code.

    phonemes: print misaki's phonemes under each utterance too; chapter: only that chapter
    (its number as `kokoro-narrator chunk` lists it). Raise lexicon.LexiconError for a bad lexicon,
    engine.EngineError when the book's language has no G2P here.
    """
    k = config.tts.kokoro
    lang_code = book_language(config, path, book)
    plan, speakable = speakable_book(config, path, book, max_chunk_chars, lang_code)
    if chapter is not None and chapter not in {c.index for c in plan.chapters}:
        print(f"kokoro-narrator chunk: there is no chapter {chapter}; the book has chapters "
              f"0 to {len(plan.chapters) - 1} (see `kokoro-narrator chunk {path.name}`)", file=out)
        return 2
    titles = {c.index: c.title for c in plan.chapters}
    g2p = _g2p(config, lang_code) if phonemes else None
    if lang_code != k.lang_code:
        print(f"lang_code: {lang_code} (the book's own settings)", file=out)
    for entry, say in speakable.lexicon_used.items():
        print(f"lexicon: {entry} = {say}", file=out)
    for paragraph in speakable.skipped:
        print(f"not read (an image file name): {paragraph}", file=out)
    shown = None
    for chunk, text in zip(plan.chunks, speakable.texts):
        if chapter is not None and chunk.chapter != chapter:
            continue
        if chunk.chapter != shown:
            print(f"\n=== chapter {chunk.chapter}: {titles[chunk.chapter]}", file=out)
            shown = chunk.chapter
        print(f"--- chunk {chunk.index + 1} ({len(text)} chars)", file=out)
        if g2p is None:
            print(text, file=out)
        else:
            _print_phonemes(g2p, text, k.split_pattern, out)
    return 0


def book_language(config, path: Path, book: SourceText) -> str:
    """The lang_code the daemon reads a book in: its own (sidecar `<stem>.toml`, the front matter read with
    the book), else the config's."""
    return book_lang_code(config.tts.kokoro, own_settings(config, path, book))


def own_settings(config, path: Path, book: SourceText) -> dict:
    """The book's own settings (sidecar `<stem>.toml`, the front matter, inbox/<voice>/); {} when they are wrong."""
    k = config.tts.kokoro
    sidecar = settings_sidecar(path)
    try:
        data = sidecar.read_bytes() if sidecar.is_file() else None
        return read_book_settings(path.absolute(), config.paths.inbox, book.front_matter, k, data)
    except (OSError, BookSettingsError) as exc:
        log.warning("%s: %s; shown with the config's settings (the daemon would fail the book)", path.name, exc)
        return {}


def preview_voices(config, path: Path, book: SourceText, out: TextIO, as_json: bool = False,
                   max_chunk_chars: int | None = None) -> int:
    """`chunk --text --voices` / `--json --voices`: who reads what, segment by segment, as the daemon would cast
    and split it (voices/); the JSON gives each segment's place in the clean text. Return an exit code."""
    from ..sync import ChunkPlaces
    from ..voices import Role, voice_spans

    own = own_settings(config, path, book)
    settings = job_settings(config, own)
    plan, speakable = speakable_book(config, path, book, max_chunk_chars, settings["lang_code"])
    roles = [Role.from_json(role) for role in book_cast(book.text, settings, config)] if "cast" in settings else []
    dialogue = settings.get("dialogue_voice", "")
    cast = [role.to_json() for role in roles]
    segments, cursor = [], 0
    for chunk, clean, text in zip(plan.chunks, (c.text for c in plan.chunks), speakable.texts):
        places = ChunkPlaces(text, clean, book.text, cursor)
        cursor = places.cursor
        for start, end, voice, speaker in voice_runs(text, voice_spans(text, dialogue, roles), settings["voice"]):
            place = places(start, end, whole=True)
            segments.append({"chunk": chunk.index + 1, "chapter": chunk.chapter, "voice": voice,
                             "speaker": speaker, "text": " ".join(text[start:end].split()),
                             "start": place[0] if place else None, "end": place[1] if place else None})
    if as_json:
        report = {"voices": {"narrator": settings["voice"], "dialogue": dialogue or None, "cast": cast},
                  "segments": segments}
        print(json.dumps(report, indent=2, ensure_ascii=False), file=out)
        return 0
    print(f"narrator: {settings['voice']}; dialogue: {dialogue or '(the narrator)'}", file=out)
    for role in cast:
        print(f"cast: {role['name']} ({role['gender']}, {role['lines']} lines) reads in {role['voice']}"
              + (f"; also called {', '.join(role['aliases'])}" if role["aliases"] else ""), file=out)
    shown = None
    for segment in segments:
        if segment["chunk"] != shown:
            print(f"--- chunk {segment['chunk']}", file=out)
            shown = segment["chunk"]
        who = segment["speaker"] or ("dialogue" if segment["voice"] == dialogue else "narrator")
        print(f"  [{who} · {segment['voice']}] {segment['text']}", file=out)
    return 0


def voice_runs(text: str, spans, narrator: str) -> list[tuple[int, int, str, str | None]]:
    """The chunk cut into runs of one voice: (start, end, voice, speaker), blank runs left out."""
    runs, position = [], 0
    for span in spans:
        runs.append((position, span.start, narrator, None))
        runs.append((span.start, span.end, span.voice, span.speaker))
        position = span.end
    runs.append((position, len(text), narrator, None))
    return [run for run in runs if text[run[0]:run[1]].strip()]


def speakable_book(config, path: Path, book: SourceText, max_chunk_chars: int | None = None,
                   lang_code: str | None = None):
    """Given the Config, a book's path and its read text, return (its ChunkPlan, the speakable texts),
    as the daemon makes them: not-speech out, lexicons applied, normalized (in lang_code, default the config's).

    Raise lexicon.LexiconError for a bad lexicon.
    """
    k = config.tts.kokoro
    settings = {"lang_code": lang_code or k.lang_code, "normalizer_version": NORMALIZE_VERSION,
                **lexicon_settings(config)}
    plan = plan_book(book, max_chunk_chars or config.jobs.max_chunk_chars)
    sidecar_file = lexicon_sidecar(path)
    sidecar = (sidecar_file.name, sidecar_file.read_bytes()) if sidecar_file.is_file() else None
    pls = parse_book_pls(getattr(book, "lexicons", ()) or (), settings["lang_code"] == "b")[0]
    return plan, speakable_chunks(plan, book, settings, sidecar, pls)


def _g2p(config, lang_code: str):
    """A model-less kokoro pipeline for the book's language, wrapped in the engine's G2P."""
    from ..synthesis import G2P, load_g2p

    return G2P(load_g2p(config.tts.kokoro, lang_code))


def _print_phonemes(g2p, text: str, split_pattern: str, out: TextIO) -> None:
    from ..synthesis import split_utterances

    for utterance in split_utterances(text, split_pattern):
        print(f"  {utterance.text}", file=out)
        calls = g2p(utterance)
        print(f"    /{' '.join(call.phonemes for call in calls)}/", file=out)
        dropped = [word for call in calls for word in call.coverage.dropped]
        if dropped:
            print(f"    not spoken: {', '.join(dropped)}", file=out)
