"""Compressed audiobooks from the book's WAV: M4B (AAC), Ogg Opus and MP3, with chapters, tags and cover.

The WAV is read in blocks of `wav.BLOCK_FRAMES` and each block goes straight to the
encoder, so memory stays flat whatever the book's length. PyAV (FFmpeg's libraries, in its
wheel) encodes and muxes, and writes the chapters and text tags in each container's own form:
- M4B: the `ipod` muxer, AAC; chapters as a Nero `chpl` atom and a QuickTime chapter track,
  iTunes tags (the narrators as composer, `©wrt`), `stik` = 2 (audiobook), the track's language in its `mdhd`;
- Opus: Ogg Opus, Vorbis comments;
- MP3: LAME; chapters as ID3v2 `CHAP` frames under a `CTOC`.
mutagen then adds what FFmpeg does not write from a plain audio stream, or writes wrong: the
cover (`covr`, `METADATA_BLOCK_PICTURE`, `APIC`), MP3's comment as a proper `COMM` frame, and
Opus's chapters as `CHAPTER001=HH:MM:SS.mmm` / `CHAPTER001NAME` comments (Xiph's chapter
extension). FFmpeg 8's Ogg muxer rounds the seconds of a chapter mark instead of truncating
them, so 10.975 s became `00:00:11.975`: a second late for every mark with 500 ms or more.

Every file is written through `atomic_write`. Both libraries are optional (`pip install
".[encoders]"`): without them `EncoderMissing` says what to install, and the caller goes on
with the other formats.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import soundfile as sf

from ..core import atomic_write, beat
from .wav import BLOCK_FRAMES

log = logging.getLogger(__name__)

INSTALL_HINT = 'install the encoders: .venv/kokoro/bin/pip install ".[encoders]" (PyAV and mutagen)'


@dataclass(frozen=True)
class Codec:
    """How one format is made."""

    muxer: str
    encoder: str
    bit_rate: int
    options: dict[str, str] = field(default_factory=dict)


CODECS = {
    "m4b": Codec("ipod", "aac", 64_000, {"movflags": "+faststart"}),
    "opus": Codec("ogg", "libopus", 32_000),
    "mp3": Codec("mp3", "libmp3lame", 64_000),
}
"""Mono speech: these rates are transparent for Kokoro's 24 kHz voice (docs/output.md)."""
ISO639_2 = {"en": "eng", "es": "spa", "fr": "fra", "hi": "hin", "it": "ita", "pt": "por", "ja": "jpn", "zh": "zho",
            "de": "deu", "nl": "nld", "ru": "rus", "ko": "kor"}
"""Two-letter language codes to the three-letter ones MP4 and ID3 want."""
MAX_OGG_CHAPTERS = 999
"""CHAPTER001 ... CHAPTER999: the chapter extension's three digits."""


class EncodeError(RuntimeError):
    """A format that could not be made; the message says which and why."""


class EncoderMissing(EncodeError):
    """The libraries (or the codec) a format needs are not installed."""


@dataclass(frozen=True)
class Tags:
    """What a player shows about the book."""

    title: str
    authors: tuple[str, ...] = ()
    language: str | None = None
    """BCP 47 / ISO 639 code ("en", "en-GB", "eng"), or None."""
    comment: str = ""
    cover: Path | None = None
    """A JPEG or PNG file, or None."""
    narrators: tuple[str, ...] = ()
    """Who reads the book (the voices), written as `composer`: Audiobookshelf takes it as the narrators."""

    @property
    def language3(self) -> str | None:
        """The three-letter ISO 639-2 code, or None when unknown."""
        if not self.language:
            return None
        code = self.language.split("-")[0].split("_")[0].lower()
        return code if len(code) == 3 else ISO639_2.get(code)


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    """Seconds from the start of the file."""
    end: float


def _av():
    """Return the av module; raise EncoderMissing when PyAV is not installed."""
    try:
        import av
    except ImportError as exc:
        raise EncoderMissing(f"PyAV is not installed ({exc}); {INSTALL_HINT}") from None
    return av


def _mutagen():
    """Return the mutagen module; raise EncoderMissing when it is not installed."""
    try:
        import mutagen
    except ImportError as exc:
        raise EncoderMissing(f"mutagen is not installed ({exc}); {INSTALL_HINT}") from None
    return mutagen


def check_encoder(fmt: str) -> None:
    """Given a format name, return when it can be made; raise EncoderMissing saying what is missing."""
    if fmt not in CODECS:
        raise EncodeError(f"unknown format {fmt!r}; choose from {', '.join(CODECS)}")
    av, _ = _av(), _mutagen()
    try:
        av.codec.Codec(CODECS[fmt].encoder, "w")
    except Exception as exc:  # av raises its own UnknownCodecError; any failure means the same here
        raise EncoderMissing(f"{fmt}: FFmpeg in this PyAV has no {CODECS[fmt].encoder} encoder ({exc})") from None


def _container_tags(fmt: str, tags: Tags) -> dict[str, str]:
    """The text tags FFmpeg writes for fmt (MP3's comment is written by mutagen as COMM)."""
    values = {"title": tags.title, "album": tags.title, "genre": "Audiobook"}
    if tags.authors:
        values["artist"] = values["album_artist"] = "; ".join(tags.authors)
    if tags.narrators:  # M4B: ©wrt, MP3: TCOM, Opus: COMPOSER
        values["composer"] = "; ".join(tags.narrators)
    if tags.comment and fmt != "mp3":
        values["comment"] = tags.comment
    if fmt == "m4b":
        values["media_type"] = "2"  # stik: audiobook
    elif tags.language3:
        values["language"] = tags.language3
    return values


def _chapters(chapters: list[Chapter]) -> list[dict[str, Any]]:
    return [{"id": number, "start": round(c.start * 1000), "end": round(c.end * 1000), "time_base": Fraction(1, 1000),
             "metadata": {"title": c.title}} for number, c in enumerate(chapters, start=1)]


def _encode(av: Any, wav: Path, target: str, fmt: str, tags: Tags, chapters: list[Chapter]) -> None:
    """Stream the WAV into target (a path) as fmt, with chapters and text tags."""
    codec = CODECS[fmt]
    try:
        source = sf.SoundFile(str(wav))
    except (RuntimeError, OSError) as exc:  # sf.LibsndfileError is a RuntimeError
        raise EncodeError(f"{fmt}: cannot read the book's WAV {wav.name} ({exc})") from exc
    with source:
        rate = source.samplerate
        with av.open(target, "w", format=codec.muxer, options=dict(codec.options)) as out:
            stream = out.add_stream(codec.encoder, rate=rate, layout="mono")
            stream.bit_rate = codec.bit_rate
            if fmt == "m4b" and tags.language3:
                stream.metadata["language"] = tags.language3
            out.metadata.update(_container_tags(fmt, tags))
            if chapters and fmt != "opus":  # Opus's are written by mutagen: see the module docstring
                out.set_chapters(_chapters(chapters))
            position = 0
            for block in source.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block.T), format="flt", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = rate, position, Fraction(1, rate)
                position += len(block)
                for packet in stream.encode(frame):
                    out.mux(packet)
                beat()  # encoding a long book takes minutes: the watchdog sees it move
            for packet in stream.encode(None):
                out.mux(packet)


def _image_mime(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _clock(seconds: float) -> str:
    """Seconds as the chapter extension's HH:MM:SS.mmm."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _add_with_mutagen(target: str, fmt: str, tags: Tags, chapters: list[Chapter], warnings: list[str]) -> None:
    """Add the cover (and MP3's COMM, Opus's chapters) to the file at target with mutagen."""
    mutagen = _mutagen()
    cover = tags.cover.read_bytes() if tags.cover else None
    mime = _image_mime(cover) if cover else None
    if cover and mime is None:
        warnings.append(f"{fmt}: cover {tags.cover.name} is not a JPEG or PNG; the file has no cover")
        cover = None
    try:
        if fmt == "m4b":
            from mutagen.mp4 import MP4, MP4Cover

            if cover:
                audio = MP4(target)
                kind = MP4Cover.FORMAT_JPEG if mime == "image/jpeg" else MP4Cover.FORMAT_PNG
                audio["covr"] = [MP4Cover(cover, imageformat=kind)]
                audio.save()
        elif fmt == "opus":
            from mutagen.flac import Picture
            from mutagen.oggopus import OggOpus

            audio = OggOpus(target)
            if len(chapters) > MAX_OGG_CHAPTERS:
                warnings.append(f"opus: {len(chapters)} chapters; the chapter extension holds {MAX_OGG_CHAPTERS}, "
                                "the rest are not marked")
            for number, chapter in enumerate(chapters[:MAX_OGG_CHAPTERS], start=1):
                audio[f"CHAPTER{number:03d}"] = [_clock(chapter.start)]
                audio[f"CHAPTER{number:03d}NAME"] = [chapter.title]
            if cover:
                picture = Picture()
                picture.type, picture.mime, picture.desc, picture.data = 3, mime, "Cover", cover
                audio["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
            audio.save()
        elif fmt == "mp3":
            from mutagen.id3 import APIC, COMM, ID3

            audio = ID3(target)
            if tags.comment:
                audio.add(COMM(encoding=3, lang=tags.language3 or "eng", desc="", text=[tags.comment]))
            if cover:
                audio.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=cover))
            audio.save(target)
    except mutagen.MutagenError as exc:  # it wraps I/O errors; a full disk must stay an OSError for the caller
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, OSError):
            raise cause from exc
        raise EncodeError(f"{fmt}: could not write the tags: {exc}") from exc


def encode_book(wav: Path, out_path: Path, fmt: str, tags: Tags, chapters: list[Chapter]) -> list[str]:
    """Given the book's WAV, write out_path (atomically) as fmt with chapters, tags and cover; return warnings.

    Raise EncoderMissing when the libraries or codec are not installed, EncodeError when the
    encoder fails, OSError (errno kept) when the disk does.
    """
    check_encoder(fmt)
    av = _av()
    warnings: list[str] = []

    def write(f: BinaryIO) -> None:
        target = f.name  # the temp file atomic_write opened; FFmpeg and mutagen write it by name
        try:
            _encode(av, wav, target, fmt, tags, chapters)
        except av.error.FFmpegError as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise
            raise EncodeError(f"{fmt}: the encoder failed: {exc}") from exc
        _add_with_mutagen(target, fmt, tags, chapters, warnings)

    atomic_write(out_path, write)
    return warnings


def probe_seconds(path: Path) -> float | None:
    """Given a compressed audio file, return its duration as FFmpeg reads it (None when unknown)."""
    av = _av()
    with av.open(str(path)) as container:
        return None if container.duration is None else container.duration / 1_000_000
