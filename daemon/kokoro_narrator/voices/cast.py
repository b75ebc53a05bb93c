"""A book's cast: which characters get a voice of their own, and which voice.

`[voices] cast = "auto"` casts the book's most frequent speakers, as the text names them next to
a speech verb (speakers.py). A book's sidecar `[cast]` names its characters instead:

    [cast]
    "Sherlock Holmes" = "bm_george"                                  # a voice (or a blend)
    "Dr. Watson" = { voice = "bm_lewis", aliases = ["Watson", "Doctor"] }

Each automatic character gets a distinct voice of the book's language, of the character's
gender where the text shows it (titles, pronouns), never the narrator's or the dialogue voice:
the first free one in name order, the most frequent speaker first. The same book and the same
voices give the same cast.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from .quotes import find_quotes
from .speakers import attribute, Character, find_speakers, guess_gender

MIN_LINES = 3
"""A speaker named fewer times than this next to a speech verb is not cast automatically."""
KNOWN_VOICES = (
    "af_alloy af_aoede af_bella af_heart af_jessica af_kore af_nicole af_nova af_river af_sarah af_sky am_adam am_echo "
    "am_eric am_fenrir am_liam am_michael am_onyx am_puck am_santa bf_alice bf_emma bf_isabella bf_lily bm_daniel "
    "bm_fable bm_george bm_lewis ef_dora em_alex em_santa ff_siwis hf_alpha hf_beta hm_omega hm_psi if_sara im_nicola "
    "jf_alpha jf_gongitsune jf_nezumi jf_tebukuro jm_kumo pf_dora pm_alex pm_santa zf_xiaobei zf_xiaoni zf_xiaoxiao "
    "zf_xiaoyi zm_yunjian zm_yunxi zm_yunxia zm_yunyang").split()
"""Kokoro-82M's voices on the hub (VOICES.md): the choice when no local voices folder is set."""
FAMILIES = {"a": "en", "b": "en"}
"""Lang codes that speak one language (US and UK English)."""
TITLES = re.compile(r"^(?:Mr|Mrs|Miss|Ms|Dr|Sir|Lady|Lord|Madame|Mademoiselle|Monsieur|Captain|Colonel)\.?$")


class CastError(ValueError):
    """A sidecar [cast] that cannot be used; the message names the character and why."""


@dataclass(frozen=True)
class Role:
    name: str
    aliases: tuple[str, ...]
    voice: str
    gender: str = "U"
    lines: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "aliases": list(self.aliases), "voice": self.voice, "gender": self.gender,
                "lines": self.lines}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Role":
        return cls(data["name"], tuple(data.get("aliases") or ()), data["voice"], data.get("gender", "U"),
                   int(data.get("lines", 0)))

    @property
    def character(self) -> Character:
        return Character(self.name, (self.name, *self.aliases), self.gender)


def sidecar_cast(table: Any, where: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """Given a sidecar's [cast] table, return (name, voice, aliases) per character; raise CastError when wrong."""
    if not isinstance(table, dict):
        raise CastError(f"{where}: cast: must be a table of character = voice")
    cast = []
    for name, value in table.items():
        if isinstance(value, str):
            voice, aliases = value, ()
        elif isinstance(value, dict) and isinstance(value.get("voice"), str) and set(value) <= {"voice", "aliases"}:
            voice, aliases = value["voice"], value.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
                raise CastError(f"{where}: cast.{name}: aliases must be a list of names")
        else:
            raise CastError(f'{where}: cast.{name}: must be a voice, or {{ voice = "...", aliases = [...] }}')
        if not name.strip() or not voice.strip():
            raise CastError(f"{where}: cast.{name}: the name and the voice must not be empty")
        cast.append((name.strip(), voice.strip(), tuple(a.strip() for a in aliases)))
    return cast


def same_person(short: str, long: str) -> bool:
    """Is `short` another name for `long`: its last words, without a title that says otherwise
    (`Holmes` and `Sherlock Holmes` are; `Mr. Weston` and `Mrs. Weston` are not)."""
    shorter, longer = short.split(), long.split()
    if len(shorter) >= len(longer) or longer[-len(shorter):] != shorter:
        return False
    return not (TITLES.match(shorter[0]) and TITLES.match(longer[0]))


def named_speakers(text: str) -> list[tuple[str, tuple[str, ...], int]]:
    """The book's speakers as the text names them: (name, aliases, lines), most lines first, names merged
    when one is another's last words."""
    counts = find_speakers(text, find_quotes(text))
    groups: dict[str, list[str]] = {}
    for name in sorted(counts, key=lambda n: (-len(n.split()), n)):  # longest names first: they take the short ones
        home = next((full for full in groups if same_person(name, full)), None)
        if home:
            groups[home].append(name)
        else:
            groups[name] = [name]
    speakers = [(full, tuple(n for n in names if n != full), sum(counts[n] for n in names))
                for full, names in groups.items()]
    return sorted(speakers, key=lambda s: (-s[2], s[0]))


def available_voices(kokoro: Any) -> list[str]:
    """The voices a cast is chosen from: the local voices folder's packs, else Kokoro's voices on the hub."""
    if kokoro.voices_dir is not None:
        return sorted(path.stem for path in kokoro.voices_dir.glob("*.pt"))
    return list(KNOWN_VOICES)


def choose_voices(genders: Sequence[str], voices: Iterable[str], lang_code: str, taken: set[str]) -> list[str | None]:
    """A distinct voice for each character in turn, of the book's language (of any language when it has none
    free) and of the character's gender where known; None when no voice is left."""
    pool = [v for v in sorted(set(voices)) if v not in taken]
    family = FAMILIES.get(lang_code, lang_code)
    own = [v for v in pool if FAMILIES.get(v[:1], v[:1]) == family] or pool  # US and UK voices both read English
    chosen: list[str | None] = []
    for gender in genders:
        wanted = {"F": "f", "M": "m"}.get(gender)
        fitting = [v for v in own if wanted is None or v[1:2] == wanted] or own
        pick = fitting[0] if fitting else None
        chosen.append(pick)
        if pick:
            own.remove(pick)
    return chosen


def make_cast(text: str, size: int, voices: Iterable[str], lang_code: str, narrator: str, dialogue: str,
              given: Sequence[tuple[str, str, tuple[str, ...]]] = ()) -> list[Role]:
    """Given the book's clean text, return its cast: the sidecar's characters when given, else up to `size`
    of its most frequent named speakers (at least MIN_LINES lines each), each with a voice and the number of
    quotations it will read."""
    if given:
        chosen = [(name, aliases, voice, guess_gender(text, name)) for name, voice, aliases in given]
    else:
        speakers = [s for s in named_speakers(text) if s[2] >= MIN_LINES][:size]
        genders = [guess_gender(text, name) for name, _, _ in speakers]
        voices_chosen = choose_voices(genders, voices, lang_code, {narrator, dialogue} - {""})
        chosen = [(name, aliases, voice, gender)
                  for (name, aliases, _), gender, voice in zip(speakers, genders, voices_chosen) if voice]
    quotes = find_quotes(text)
    lines = Counter(attribute(text, quotes, [Character(name, (name, *aliases), gender)
                                             for name, aliases, _, gender in chosen]))
    return [Role(name, aliases, voice, gender, lines[name]) for name, aliases, voice, gender in chosen]
