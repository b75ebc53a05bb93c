"""The TOML config: read with tomllib, validated in full, held in frozen dataclasses.

Every field carries its documentation and its check in its dataclass metadata, so that
validation, `kokoro-narrator config init` and the README all describe the same keys. Validation
reports every error at once, each as `<file>: <key path>: <problem>, got <value>`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import tomli_w

from .toml import tomllib

DEFAULT_CONFIG_PATH = Path("~/.config/kokoro-tts/config.toml")
"""Where the config is read from; `~/.config` stands for $XDG_CONFIG_HOME when that is set."""
XDG_HOMES = (("~/.config", "XDG_CONFIG_HOME"), ("~/.local/share", "XDG_DATA_HOME"), ("~/.cache", "XDG_CACHE_HOME"))
LANGUAGE_NAMES = {"a": "US English", "b": "UK English", "e": "Spanish", "f": "French", "h": "Hindi",
                  "i": "Italian", "p": "Brazilian Portuguese", "j": "Japanese", "z": "Mandarin Chinese"}
"""Kokoro's lang codes, and the language each speaks."""
LANG_CODES = tuple(LANGUAGE_NAMES)

Check = Callable[[Any], str | None]


def _between(low: float, high: float) -> Check:
    return lambda v: None if low <= v <= high else f"must be between {low} and {high}"


def _one_of(*choices: str) -> Check:
    return lambda v: None if v in choices else "must be one of " + ", ".join(map(repr, choices))


def _regex(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return None


def _nonempty(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _opt(doc: str, default: Any, check: Check | None = None, kind: type | None = None) -> Any:
    return field(default=default, metadata={"doc": doc, "check": check, "kind": kind})


@dataclass(frozen=True)
class KokoroConfig:
    """Settings of the Kokoro engine. Local files (offline) win over the hub when given."""

    voice: str = _opt("Voice name: <voices_dir>/<voice>.pt when voices_dir is set, else from the hub.", "af_heart", _nonempty)
    lang_code: str = _opt('KPipeline language: a=US English, b=UK English, e, f, h, i, p, j, z; "auto": the voice\'s (its first letter).', "a", _one_of(*LANG_CODES, "auto"))
    device: str = _opt('"auto" (GPU when there is one: ROCm or CUDA), "cpu" or "cuda".', "auto", _one_of("auto", "cpu", "cuda"))
    speed: float = _opt("Speaking speed, 1.0 is normal.", 1.0, _between(0.5, 2.0))
    split_pattern: str = _opt("Regex that splits text into utterances before sentence splitting.", r"\n+", _regex)
    repo_id: str = _opt("Hugging Face repo the weights and voices are downloaded from.", "hexgrad/Kokoro-82M", _nonempty)
    model_config: Path | None = _opt("Offline: path to the model's config.json.", None, kind=Path)
    model_weights: Path | None = _opt("Offline: path to the model's .pth weights.", None, kind=Path)
    voices_dir: Path | None = _opt("Offline: directory holding <voice>.pt voice packs.", None, kind=Path)
    threads: int = _opt("CPU threads for torch; 0 keeps torch's default.", 0, _between(0, 256))
    backend: str = _opt('Acoustic model runtime: "torch" (CPU and GPU) or "onnx" (CPU, needs onnx_model).', "torch", _one_of("torch", "onnx"))
    onnx_model: Path | None = _opt("Path to a Kokoro .onnx file, for backend = \"onnx\".", None, kind=Path)
    precision: str = _opt('Acoustic model arithmetic on torch: "auto" (on a CPU, bf16 where it computes it natively, such as '
                          'avx512_bf16 or AMX, else fp32-cl; fp32 on GPUs), "fp32" (kokoro\'s own full precision), "fp32-cl" '
                          '(full precision with the generator channels-last: about 1.2x faster than fp32 on CPUs, equal to '
                          'it but for the last bits), or "bf16" (the decoder\'s generator in bfloat16: about 2x faster than '
                          'fp32 on such CPUs, the same word error rate in the quality bench). A change makes new jobs.', "auto",
                          _one_of("auto", "fp32", "fp32-cl", "bf16"))


@dataclass(frozen=True)
class TtsConfig:
    """Which text-to-speech provider to use."""

    provider: str = _opt("The TTS provider; only kokoro for now.", "kokoro", _one_of("kokoro"))
    lexicon: Path | None = _opt("Your pronunciation lexicon, Word = \"respelling\" or \"/IPA/\" (docs/narration.md); unset: lexicon.toml next to this config file, when there is one.", None, kind=Path)
    kokoro: KokoroConfig = field(default_factory=KokoroConfig)


@dataclass(frozen=True)
class JobsConfig:
    """How books are cut and joined."""

    max_chunk_chars: int = _opt("Largest chunk of text synthesized and saved as one WAV.", 20000, _between(100, 1_000_000))
    retries: int = _opt("Extra attempts for a chunk that fails before the job fails.", 2, _between(0, 20))
    paragraph_pause: float = _opt("Seconds of silence between paragraphs.", 0.6, _between(0.0, 10.0))
    chapter_pause: float = _opt("Seconds of silence between chapters.", 2.0, _between(0.0, 30.0))
    keep_chunks: bool = _opt("Keep the chunk WAVs after the book is published (they take as much space as the book).", False)
    checkpoint_seconds: float = _opt("Inside a chunk, keep the audio made so far on disk this often, so a stop or kill loses at most this much work; progress in `status` moves as often (0: after every model call).", 30.0, _between(0.0, 600.0))


@dataclass(frozen=True)
class PathsConfig:
    """Where books come from, where audio goes, where job state lives."""

    inbox: Path = _opt("Drop .txt or .md books here.", Path("~/tts/inbox"), kind=Path)
    outbox: Path = _opt("Finished <book>.wav and <book>.json appear here.", Path("~/tts/outbox"), kind=Path)
    jobs: Path = _opt("One folder per book: job.json, the source copy, chunk WAVs.", Path("~/.local/share/kokoro-tts/jobs"), kind=Path)


OUTPUT_FORMATS = ("wav", "m4b", "opus", "mp3", "epub")
CAPTION_KINDS = ("vtt", "srt")


def _formats(value: tuple) -> str | None:
    if not value or "wav" not in value or any(v not in OUTPUT_FORMATS for v in value) or len(set(value)) < len(value):
        return "must be a list of distinct formats among " + ", ".join(map(repr, OUTPUT_FORMATS)) + ', with "wav"'
    return None


def _captions(value: tuple) -> str | None:
    if any(v not in CAPTION_KINDS for v in value) or len(set(value)) < len(value):
        return "must be a list of distinct caption formats among " + ", ".join(map(repr, CAPTION_KINDS))
    return None


def _loudness(value: Any) -> str | None:
    if value is False or (isinstance(value, (int, float)) and not isinstance(value, bool) and -50 <= value <= -5):
        return None
    return "must be a target in LUFS between -50 and -5, or false"


@dataclass(frozen=True)
class OutputConfig:
    """What is made from a finished book (docs/output.md)."""

    formats: tuple = _opt('Files made in the outbox: "wav" (always), plus "m4b" (AAC), "opus", "mp3", with chapters, tags and cover, and "epub": a read-along EPUB 3 (the book\'s text, its sentences highlighted as they are read).', ("wav",), _formats)
    captions: tuple = _opt('Captions beside the book: "vtt" (WebVTT), "srt"; either adds the WebVTT chapters track (<book>.chapters.vtt). One cue per sentence, long ones cut at a clause.', (), _captions)
    captions_words: bool = _opt("Word timing in the captions: WebVTT inline timestamps, and an SRT cue per word group.", False)
    loudness: Any = _opt("Integrated loudness of every book, LUFS (EBU R128 / BS.1770), by one gain per book; false: leave the level alone.", -18.0, _loudness, kind=object)
    peak: float = _opt("True-peak ceiling in dBTP; the loudness gain is lowered to stay under it.", -1.0, _between(-20.0, 0.0))
    limiter_db: float = _opt("Soft limiting allowed on the loudest peaks (dB), so that a book with a few sharp peaks still reaches `loudness`; 0: gain only.", 3.0, _between(0.0, 12.0))
    lead_silence: float = _opt("Seconds of silence at the start of the book (the model's own edge silence is trimmed to this).", 0.5, _between(0.0, 30.0))
    tail_silence: float = _opt("Seconds of silence at the end of the book (the model's own edge silence is trimmed to this).", 1.0, _between(0.0, 30.0))
    layout: str = _opt('Where a book\'s files go: "flat" (outbox/<book>.wav, .json, ...) or "library" (an Audiobookshelf library: outbox/<Author>/[<Series>/]<Title>/ with <Title>.m4b, metadata.json, cover, desc.txt, reader.txt; docs/output.md).', "flat", _one_of("flat", "library"))


def _command(value: str) -> str | None:
    try:
        shlex.split(value)
    except ValueError as exc:
        return f"is not a command line ({exc})"
    return None


@dataclass(frozen=True)
class VoicesConfig:
    """Who reads what: a voice for dialogue, and voices for the characters (docs/voices.md)."""

    dialogue: str = _opt('The voice (or blend) that reads what is inside quotation marks, the narrator (tts.kokoro.voice) reading the rest; "": the narrator reads everything.', "")
    cast: str = _opt('"auto": the book\'s most frequent speakers, where the text names them, get voices of their own (a book\'s sidecar [cast] names them instead); "off": no character voices.', "off", _one_of("off", "auto"))
    cast_size: int = _opt("At most this many characters get a voice of their own with cast = \"auto\".", 4, _between(1, 12))


@dataclass(frozen=True)
class InboxConfig:
    """What becomes of a book in the inbox once its job has ended (docs/inbox.md)."""

    after: str = _opt('"move": a published book moves to inbox/done/, a failed one to inbox/failed/ beside a .log of why; "keep": books stay where they are.', "move", _one_of("move", "keep"))


@dataclass(frozen=True)
class HooksConfig:
    """Commands run when a book ends (docs/inbox.md)."""

    on_done: str = _opt("Command run, without a shell, once a book is published, with the output file paths appended as arguments; \"\" for none.", "", _command)


@dataclass(frozen=True)
class WatchConfig:
    """How the inbox is watched."""

    settle_seconds: float = _opt("A file must keep its size and mtime this long before it is read.", 3.0, _between(0.0, 3600.0))
    rescan_seconds: float = _opt("Full inbox rescan interval (inotify can overflow silently).", 60.0, _between(1.0, 86400.0))


@dataclass(frozen=True)
class ServiceConfig:
    """How the daemon stops (docs/daemon.md)."""

    stop_timeout_seconds: float = _opt("After SIGTERM, how long to wait for the worker to reach its next utterance and save its work; a worker stuck past this is left, its stack logged, and the daemon exits with code 75 (the job resumes at the next start). Keep it under the unit's TimeoutStopSec (120).", 60.0, _between(1.0, 600.0))


def _listen(value: str) -> str | None:
    if value.startswith("/") or re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}", value):
        return None
    return 'must be "host:port" (an IPv6 host in brackets) or an absolute Unix socket path'


@dataclass(frozen=True)
class WebConfig:
    """The page: queue, steering, upload, read-along player (docs/web.md; pip install kokoro-narrator[web])."""

    enabled: bool = _opt("Serve the page from the daemon's process; `kokoro-narrator web-url` prints its address with the login token.", False)
    listen: str = _opt('"host:port", or an absolute path for a Unix socket (made 0600). Any host but loopback needs tls_cert and tls_key.', "127.0.0.1:8765", _listen)
    tls_cert: Path | None = _opt("PEM certificate, required to listen beyond loopback.", None, kind=Path)
    tls_key: Path | None = _opt("PEM private key of tls_cert.", None, kind=Path)
    max_upload_mb: int = _opt("Largest book the page accepts for upload, in MiB (the inbox refuses books over 256 MiB anyway).", 200, _between(1, 256))
    state_dir: Path | None = _opt("Folder of the login token file (made 0600); default $XDG_STATE_HOME/kokoro-tts (~/.local/state/kokoro-tts).", None, kind=Path)


LOOPBACK_HOSTS = ("localhost", "[::1]")


def is_loopback_listen(listen: str) -> bool:
    """Whether a valid `web.listen` is a Unix socket or a loopback address (127.0.0.0/8, ::1, localhost)."""
    if listen.startswith("/"):
        return True
    host = listen.rpartition(":")[0]
    return host in LOOPBACK_HOSTS or bool(re.fullmatch(r"127(\.\d{1,3}){3}", host))


def _web_checks(web: WebConfig, source: str) -> list[str]:
    """Beyond loopback the token and the cookie would cross the network in clear: TLS is required there."""
    if bool(web.tls_cert) != bool(web.tls_key):
        missing = "tls_key" if web.tls_cert else "tls_cert"
        return [f"{source}: web.{missing}: must be set together with the other TLS file, got nothing"]
    if not web.enabled or is_loopback_listen(web.listen) or web.tls_cert:
        return []
    return [f"{source}: web.listen: listening beyond loopback needs web.tls_cert and web.tls_key (the login token "
            f"would cross the network in clear), got {web.listen!r} without them"]


@dataclass(frozen=True)
class EnginesConfig:
    """How many warm engines make the chunks, and where (docs/scaling.md; pip install kokoro-narrator[ray])."""

    backend: str = _opt('"local": one warm engine in the daemon; "ray": a pool of engines (Ray actors) on this host\'s GPUs or cores, or on a Ray cluster.', "local", _one_of("local", "ray"))
    address: str = _opt('Ray cluster: "" starts a local Ray runtime for this host; "auto", "head-host:6379" or "ray://head-host:10001" joins an existing one.', "")
    workers: int = _opt("Warm engines in the pool; 0: one per GPU, else one.", 0, _between(0, 1024))
    gpus_per_worker: float = _opt('GPUs each engine holds; a fraction shares a GPU; 0: one when the cluster has GPUs and tts.kokoro.device is not "cpu", else none.', 0.0, _between(0.0, 8.0))
    threads_per_worker: int = _opt("CPU threads each engine's torch uses (set explicitly: Ray sets OMP_NUM_THREADS=1).", 1, _between(1, 256))
    on_unreachable: str = _opt('A cluster that cannot be reached at start: "wait" (retry, STATUS says why) or "local" (fall back to one local engine).', "wait", _one_of("wait", "local"))


@dataclass(frozen=True)
class Config:
    """The whole configuration of kokoro-narrator."""

    tts: TtsConfig = field(default_factory=TtsConfig)
    jobs: JobsConfig = field(default_factory=JobsConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    voices: VoicesConfig = field(default_factory=VoicesConfig)
    inbox: InboxConfig = field(default_factory=InboxConfig)
    hooks: HooksConfig = field(default_factory=HooksConfig)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    web: WebConfig = field(default_factory=WebConfig)
    engines: EnginesConfig = field(default_factory=EnginesConfig)


class ConfigError(ValueError):
    """A config file that cannot be used; `errors` lists every problem found."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _is_section(f: dataclasses.Field) -> bool:
    return isinstance(f.default_factory, type) and dataclasses.is_dataclass(f.default_factory)


def _typed(value: Any, f: dataclasses.Field, base: Path) -> tuple[Any, str | None]:
    """Given a TOML value for field f, return (converted value, problem or None).

    Relative paths are taken relative to the config file's directory (base).
    """
    kind = f.metadata.get("kind") or type(f.default)
    if kind is Path:
        if not isinstance(value, str) or not value:
            return None, "must be a non-empty path string"
        return base / Path(os.path.expandvars(value)).expanduser(), None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is tuple and isinstance(value, list):  # TOML arrays, held as tuples in a frozen config
        value = tuple(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return None, f"must be of type {kind.__name__}"
    return value, None


def _build(cls: type, table: dict, prefix: str, errors: list[str], source: str, base: Path) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in table:
        if key not in known:
            errors.append(f"{source}: {prefix}{key}: unknown key")
    values: dict[str, Any] = {}
    for name, f in known.items():
        if name not in table:
            continue
        value = table[name]
        if _is_section(f):
            if isinstance(value, dict):
                values[name] = _build(f.default_factory, value, f"{prefix}{name}.", errors, source, base)
            else:
                errors.append(f"{source}: {prefix}{name}: must be a table, got {value!r}")
            continue
        converted, problem = _typed(value, f, base)
        check = f.metadata.get("check")
        if problem is None and check is not None:
            problem = check(converted)
        if problem is None:
            values[name] = converted
        else:
            errors.append(f"{source}: {prefix}{name}: {problem}, got {value!r}")
    return cls(**values)


def xdg_expand(path: Path) -> Path:
    """Given a path that may start with ~, return it absolute, honouring the XDG base directories.

    `~/.config`, `~/.local/share` and `~/.cache` stand for $XDG_CONFIG_HOME, $XDG_DATA_HOME and
    $XDG_CACHE_HOME when those are set to absolute paths (the XDG spec ignores relative ones).
    """
    text = str(path)
    for prefix, variable in XDG_HOMES:
        home = os.environ.get(variable, "")
        if os.path.isabs(home) and (text == prefix or text.startswith(prefix + "/")):
            return Path(home + text[len(prefix):])
    return path.expanduser()


def _expand_paths(config: Config) -> Config:
    """Expand ~ (and XDG homes) in the default paths too, so callers only ever see absolute paths."""
    paths = config.paths
    expanded = PathsConfig(**{f.name: xdg_expand(getattr(paths, f.name)) for f in dataclasses.fields(paths)})
    return dataclasses.replace(config, paths=expanded)


def _cross_checks(config: Config, source: str) -> list[str]:
    k = config.tts.kokoro
    errors = []
    local = {"model_config": k.model_config, "model_weights": k.model_weights}
    if any(local.values()) and not all(local.values()):
        missing = [name for name, value in local.items() if value is None]
        errors.append(f"{source}: tts.kokoro.{missing[0]}: must be set together with the other local model file, got nothing")
    if k.backend == "onnx" and k.onnx_model is None:
        errors.append(f"{source}: tts.kokoro.onnx_model: required when backend = \"onnx\", got nothing")
    errors += _web_checks(config.web, source)
    return errors


def resolve_lang_code(kokoro: KokoroConfig) -> KokoroConfig:
    """Given Kokoro settings, return them with lang_code = "auto" replaced by the voice's language.

    Raise ValueError when the voice's name does not start with a lang code.
    """
    if kokoro.lang_code != "auto":
        return kokoro
    if kokoro.voice[:1] not in LANG_CODES or kokoro.voice.endswith(".pt"):
        raise ValueError(f'"auto" takes the language from the voice\'s first letter ({", ".join(LANG_CODES)}), '
                         f"but voice {kokoro.voice!r} has none; set lang_code")
    return dataclasses.replace(kokoro, lang_code=kokoro.voice[0])


def parse_config(data: dict, source: str = "config.toml", base: Path | None = None) -> Config:
    """Given a parsed TOML document, return a Config; raise ConfigError listing every problem.

    base: the directory relative paths are resolved against (default: the current one).
    """
    errors: list[str] = []
    config = _build(Config, data, "", errors, source, base or Path.cwd())
    try:
        config = dataclasses.replace(config, tts=dataclasses.replace(config.tts, kokoro=resolve_lang_code(config.tts.kokoro)))
    except ValueError as exc:
        errors.append(f"{source}: tts.kokoro.lang_code: {exc}, got 'auto'")
    errors += _cross_checks(config, source)
    if errors:
        raise ConfigError(errors)
    return _expand_paths(config)


def load_config(path: Path | None = None) -> Config:
    """Given a config path (None: the default location), return its Config.

    A missing file at the default location means all defaults; a missing file named
    explicitly is an error.
    """
    explicit = path is not None
    path = xdg_expand(path or DEFAULT_CONFIG_PATH)
    if not path.exists():
        if explicit:
            raise ConfigError([f"{path}: no such config file (create one with `kokoro-narrator config init`)"])
        return parse_config({}, str(path), path.parent)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    return parse_config(data, path.name, path.parent.resolve())


def _render_section(cls: type, prefix: str) -> list[str]:
    lines = [f"# {cls.__doc__}", f"[{prefix}]"] if prefix else []
    sections = []
    for f in dataclasses.fields(cls):
        if _is_section(f):
            sections.append((f.default_factory, f"{prefix}.{f.name}" if prefix else f.name))
            continue
        lines.append(f"# {f.metadata['doc']}")
        default = f.default
        if default is None:
            lines.append(f"# {f.name} = \"\"")
        else:
            value = str(default) if isinstance(default, Path) else default
            lines.append(tomli_w.dumps({f.name: value}).rstrip("\n"))
    for section_cls, name in sections:
        lines += ["", *_render_section(section_cls, name)]
    return lines


def default_config_text() -> str:
    """Return the commented default config file, as `kokoro-narrator config init` writes it."""
    header = ["# kokoro-narrator configuration. Every key is optional; shown are the defaults.",
              "#",
              "# Memory, from the environment (the systemd unit's Environment= lines), not this file:",
              "#   KOKORO_TTS_ALLOCATOR=glibc          do not restart run/synth with jemalloc preloaded",
              "#   KOKORO_TTS_JEMALLOC=/path/lib.so.2  a jemalloc outside the linker's search path",
              "#   KOKORO_TTS_KEEP_FREED_MEMORY=0      glibc's own malloc settings (slower on a CPU)"]
    return "\n".join(header + _render_section(Config, "")).lstrip("\n") + "\n"
