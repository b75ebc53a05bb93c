"""A job's identity: every setting that changes a book's audio, and the id they make with its name and bytes.

The same book with the same settings is the same job (a re-drop finds it); a changed voice,
lexicon, chunker or numeric path is another job.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..chapters import CHUNKER_VERSION
from ..core import Config
from ..narration import lexicon_settings, NONSPEECH_VERSION, NORMALIZE_VERSION
from ..synthesis import numeric_path
from ..voices import canonical_voice
from .store import safe_name


def audio_settings(config: Config) -> dict[str, Any]:
    """Every setting that changes the audio of a book; part of the job's identity."""
    k = config.tts.kokoro
    return {
        "provider": config.tts.provider,
        "voice": canonical_voice(k.voice),  # a blend in one spelling
        "speed": k.speed,
        "lang_code": k.lang_code,
        "split_pattern": k.split_pattern,
        "model": str(k.model_weights) if k.model_weights else k.repo_id,
        "backend": k.backend,
        "precision": numeric_path(k),  # as resolved on this machine
        "max_chunk_chars": config.jobs.max_chunk_chars,
        "paragraph_pause": config.jobs.paragraph_pause,
        "chapter_pause": config.jobs.chapter_pause,
        "chunker_version": CHUNKER_VERSION,
        "nonspeech_version": NONSPEECH_VERSION,
        "normalizer_version": NORMALIZE_VERSION,
        **lexicon_settings(config),  # the user lexicon's entries (lexicon.py): a changed lexicon makes a new job
        **voices_settings(config),
    }


def voices_settings(config: Config) -> dict[str, Any]:
    """The dialogue voice and the cast mode, when either is on: without them a job's identity is as it was,
    so that books queued before voices existed are not made twice."""
    voices = config.voices
    if not voices.dialogue and voices.cast == "off":
        return {}
    return {"dialogue_voice": canonical_voice(voices.dialogue), "cast": voices.cast, "cast_size": voices.cast_size}


def job_id(name: str, source_sha256: str, settings: dict[str, Any]) -> str:
    identity = json.dumps([name, source_sha256, settings], sort_keys=True, ensure_ascii=True)
    return f"{safe_name(name)}-{hashlib.sha256(identity.encode()).hexdigest()[:8]}"
