"""The `kokoro-narrator` command: run, status, synth, chunk, export, config init, install-service, web-url.

Each subcommand is a small function that parses nothing itself and calls into the modules;
argparse exits with code 2 on invalid flags. Output meant for a person goes to stdout,
logging to stderr (the journal, under systemd).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path

from .. import __version__
from ..core import (Config, ConfigError, DEFAULT_CONFIG_PATH, default_config_text, escape_logged_names,
                    KokoroConfig, load_config, resolve_lang_code, setup_logging, shown, xdg_expand)
from ..inbox import warn_about_language
from ..narration import with_default_lexicon
from ..synthesis import prepare_process
from .output import one_line_error

log = logging.getLogger("kokoro_narrator")

EX_CONFIG = 78
"""sysexits.h: a config error. The systemd unit does not restart on it (RestartPreventExitStatus=78)."""


def _kokoro_overrides(config: Config, args: argparse.Namespace) -> Config:
    """Apply the synth flags that override tts.kokoro settings."""
    names = {"voice": "voice", "speed": "speed", "lang_code": "lang_code", "device": "device", "split_pattern": "split_pattern"}
    changes = {key: getattr(args, flag) for flag, key in names.items() if getattr(args, flag, None) is not None}
    if not changes:
        return config
    kokoro = resolve_lang_code(dataclasses.replace(config.tts.kokoro, **changes))  # --lang-code auto
    return dataclasses.replace(config, tts=dataclasses.replace(config.tts, kokoro=kokoro))


def _read_book(path: Path, command: str):
    """Given a text file from the command line, return its Book, or None after saying why not."""
    from ..books import TextError, read_book

    try:
        return read_book(path.read_bytes(), path.name)
    except OSError as exc:
        print(f"kokoro-narrator {command}: cannot read {shown(str(path))}: {exc.strerror or exc}", file=sys.stderr)
    except TextError as exc:  # empty, binary, nothing readable
        print(f"kokoro-narrator {command}: {shown(str(path))}: {exc}", file=sys.stderr)
    return None


def cmd_synth(config: Config, args: argparse.Namespace) -> int:
    from ..audio import write_chunk_wav
    from ..narration import LexiconError
    from ..synthesis import KokoroEngine
    from .preview import speakable_book

    book = _read_book(args.text_file, "synth")
    if book is None:
        return 1
    warn_about_language(config.tts.kokoro)
    try:
        _, speakable = speakable_book(config, args.text_file, book)  # read as the daemon reads it
    except LexiconError as exc:
        print(f"kokoro-narrator synth: {exc}", file=sys.stderr)
        return 1
    engine = KokoroEngine.load(config.tts.kokoro)
    started = time.perf_counter()
    segments = engine.synthesize_chunk("\n\n".join(speakable.texts))
    info = write_chunk_wav(args.out_wav, (segment.audio for segment in segments))
    wall = time.perf_counter() - started
    print(f"wrote {args.out_wav}: {info.seconds:.1f} s of audio in {wall:.1f} s "
          f"({info.seconds / wall if wall else 0:.2f}x real time), device={engine.device_label}")
    return 0


def cmd_chunk(config: Config, args: argparse.Namespace) -> int:
    from ..chapters import plan_book

    book = _read_book(args.book, "chunk")
    if book is None:
        return 1
    if args.voices:
        from .preview import preview_voices

        return preview_voices(config, args.book, book, sys.stdout, args.json, args.max_chunk_chars)
    if args.text or args.phonemes or args.chapter is not None:
        return _preview(config, args, book)
    plan = plan_book(book, args.max_chunk_chars or config.jobs.max_chunk_chars)
    report = plan.to_json()
    report["source"] = {"name": args.book.name, "encoding": book.encoding, "warnings": list(book.warnings)}
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(f"{shown(args.book.name)}: encoding {book.encoding}" + "".join(f"\n  warning: {w}" for w in book.warnings))
    for chapter in plan.chapters:
        sizes = [c.text.__len__() for c in plan.chunks if c.chapter == chapter.index]
        title = "  " * (chapter.level - 1) + chapter.title  # a chapter inside a part stands under it
        print(f"  [{chapter.index:3d}] {title[:60]!s:60}  {len(sizes):3d} chunks  {sum(sizes):8d} chars  {sizes}")
    totals = report["totals"]
    print(f"contents list found: {len(plan.contents)} entries: {'; '.join(plan.contents)}" if plan.contents else "no contents list found")
    print(f"total: {totals['chapters']} chapters, {totals['chunks']} chunks, {totals['chars']} chars "
          f"(max_chunk_chars {plan.max_chunk_chars}, chunker v{plan.version})")
    return 0


def _preview(config: Config, args: argparse.Namespace, book) -> int:
    """`chunk --text` / `--phonemes`: print what will be read (preview.py); a bad lexicon or a G2P that
    cannot load (a language not installed) exits 1."""
    from ..narration import LexiconError
    from ..synthesis import EngineError
    from .preview import preview

    try:
        return preview(config, args.book, book, sys.stdout, args.phonemes, args.chapter, args.max_chunk_chars)
    except (LexiconError, EngineError) as exc:
        print(f"kokoro-narrator chunk: {exc}", file=sys.stderr)
        return 1


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    from ..jobs import LockedError, StoreLock
    from ..service import Daemon, EX_STUCK, Notifier
    from ..synthesis import KokoroEngine

    try:  # one daemon per job store, found out before the model loads
        lock = StoreLock.acquire(config.paths.jobs)
    except LockedError as exc:
        print(f"kokoro-narrator run: {exc}", file=sys.stderr)
        return 1
    warn_about_language(config.tts.kokoro)  # e.g. a Japanese voice reading English
    notifier = Notifier()
    notifier.status("Loading the Kokoro model")
    engine = KokoroEngine.load(config.tts.kokoro, warm_up=True)
    daemon = Daemon(config, engine, notifier, lock=lock)
    daemon.install_signal_handlers()
    code = daemon.run()
    if code == EX_STUCK:  # the worker is still stuck in a call: exit without waiting on anything it holds
        logging.shutdown()
        os._exit(code)
    return code


def cmd_status(config: Config, args: argparse.Namespace) -> int:
    from ..jobs import JobStore
    from .status import main as show_status

    return show_status(JobStore(config.paths.jobs), args.json)


def cmd_install_service(config: Config, args: argparse.Namespace) -> int:
    from ..service import default_exec_start, install_instructions, install_unit

    try:
        exec_start = default_exec_start(args.config)
    except ValueError as exc:  # a path systemd cannot take
        print(f"kokoro-narrator install-service: {exc}", file=sys.stderr)
        return 2
    path = install_unit(exec_start, args.unit_dir)
    print(f"wrote {path}")
    print(install_instructions(path))
    return 0


def cmd_config_init(args: argparse.Namespace) -> int:
    path = xdg_expand(args.config or DEFAULT_CONFIG_PATH)
    if path.exists() and not args.force:
        print(f"kokoro-narrator config init: {path} exists; use --force to overwrite", file=sys.stderr)
        return 1
    from ..core import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, default_config_text().encode("utf-8"))
    print(f"wrote {path}")
    return 0


def cmd_export(config: Config, args: argparse.Namespace) -> int:
    from ..jobs import export_book, JobStore

    try:
        files, warnings = export_book(args.book_json, args.format, JobStore(config.paths.jobs))
    except ValueError as exc:
        print(f"kokoro-narrator export: {exc}", file=sys.stderr)
        return 1
    for record in files:
        seconds = f", {record['duration_seconds']} s" if "duration_seconds" in record else ""
        print(f"wrote {record['path']} ({record['size']} bytes{seconds})")
    for warning in warnings:
        print(f"kokoro-narrator export: {warning}", file=sys.stderr)
    return 1 if len(files) < len({f for f in args.format if f != "wav"}) else 0


def cmd_queue(config: Config, args: argparse.Namespace) -> int:
    """`cancel|retry|next BOOK` and `pause|resume`: print what was done."""
    from ..jobs import ControlError, command, set_paused

    ref = getattr(args, "book", None)
    try:
        message = set_paused(config.paths.jobs, args.command == "pause") if ref is None else \
            command(config.paths.jobs, args.command, ref)
    except ControlError as exc:
        print(f"kokoro-narrator {args.command}: {exc}", file=sys.stderr)
        return 1
    print(message)
    return 0


def cmd_web_url(config: Config, args: argparse.Namespace) -> int:
    """`web-url`: print the page's address with its login token (made on first use; docs/web.md)."""
    try:
        from ..web import login_url, WebError
    except ImportError as exc:  # the extra is not installed
        print(f"kokoro-narrator web-url: the page needs its extra ({exc.name} is missing): "
              "pip install 'kokoro-narrator[web]'", file=sys.stderr)
        return 1
    try:
        url = login_url(config)
    except WebError as exc:
        print(f"kokoro-narrator web-url: {exc}", file=sys.stderr)
        return 1
    if not config.web.enabled:
        print("kokoro-narrator web-url: the page is off; set `[web] enabled = true` and restart the daemon",
              file=sys.stderr)
    if config.web.listen.startswith("/"):
        print(f"kokoro-narrator web-url: the page listens on the Unix socket {config.web.listen}; "
              "open this URL through the proxy that serves it", file=sys.stderr)
    print(url)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kokoro-narrator", description="Turn ebooks into audiobooks with Kokoro-82M.")
    parser.add_argument("--version", action="version", version=f"kokoro-narrator {__version__}")
    config_help = f"config file (default {DEFAULT_CONFIG_PATH}; the defaults apply when it is absent)"
    parser.add_argument("--config", type=Path, default=None, help=config_help)
    parser.add_argument("-v", "--verbose", action="store_true", default=False, help="debug logging")
    # The same options after the subcommand; SUPPRESS keeps a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=config_help)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", parents=[common], help="run the daemon in the foreground (what systemd starts)")

    status = sub.add_parser("status", parents=[common], help="show running, queued, finished and failed books")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    synth = sub.add_parser("synth", parents=[common], help="speak one text file into one WAV")
    synth.add_argument("--text-file", type=Path, required=True, help="the text to speak (.txt or .md)")
    synth.add_argument("--out-wav", type=Path, required=True, help="where to write the WAV (24 kHz mono)")
    synth.add_argument("--voice", help="voice name, e.g. af_heart (default: tts.kokoro.voice)")
    synth.add_argument("--speed", type=float, help="speaking speed, 0.5 to 2.0 (default: tts.kokoro.speed)")
    synth.add_argument("--lang-code", dest="lang_code",
                       help="a=US English, b=UK English, e=Spanish, f=French, h=Hindi, i=Italian, "
                            "p=Portuguese, j=Japanese, z=Mandarin (default: tts.kokoro.lang_code)")
    synth.add_argument("--device", choices=("auto", "cpu", "cuda"), help="where the model runs (default: tts.kokoro.device)")
    synth.add_argument("--split-pattern", dest="split_pattern", help="regex that cuts text into utterances (default \\n+)")

    chunk = sub.add_parser("chunk", parents=[common], help="dry run: show the chapters and chunks of a book")
    chunk.add_argument("book", type=Path, help="a .txt, .md or .epub book")
    chunk.add_argument("--json", action="store_true", help="machine-readable output")
    chunk.add_argument("--max-chunk-chars", type=int, default=None, help="chunk size, at least 100 (default: jobs.max_chunk_chars)")
    chunk.add_argument("--text", action="store_true", help="print the text that goes to G2P, chunk by chunk (docs/narration.md)")
    chunk.add_argument("--phonemes", action="store_true", help="print each utterance with misaki's phonemes")
    chunk.add_argument("--voices", action="store_true",
                       help="with --text or --json: who reads each segment (narrator, dialogue, a character) and the cast")
    chunk.add_argument("--chapter", type=int, default=None, help="with --text or --phonemes: only chapter N, as listed")

    config = sub.add_parser("config", help="config file helpers")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    init = config_sub.add_parser("init", parents=[common], help="write a commented default config")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    export = sub.add_parser("export", parents=[common],
                            help="make M4B, Opus, MP3 or the read-along EPUB from a published book's WAV and JSON")
    export.add_argument("book_json", type=Path, help="the book's .json in the outbox (its .wav beside it)")
    export.add_argument("--format", action="append", required=True, choices=("m4b", "opus", "mp3", "epub"),
                        help="a format to make; repeat for several (docs/output.md)")

    queue_help = {"cancel": "stop a book at its next utterance; it is not made unless retried",
                  "retry": "queue a failed or cancelled book again (its finished audio is kept)",
                  "next": "move a book to the front of the queue"}
    for name, text in queue_help.items():  # docs/daemon.md: works with or without the daemon running
        steer = sub.add_parser(name, parents=[common], help=text)
        steer.add_argument("book", help="the book's file name as dropped in the inbox, or its job id (kokoro-narrator status)")
    sub.add_parser("pause", parents=[common], help="stop making books at the next utterance, until resume (kept across restarts)")
    sub.add_parser("resume", parents=[common], help="go on making books after pause")

    sub.add_parser("web-url", parents=[common], help="print the page's address with its login token (docs/web.md)")

    install = sub.add_parser("install-service", parents=[common], help="install the systemd user unit")
    install.add_argument("--unit-dir", type=Path, default=None, help="default ~/.config/systemd/user")
    return parser


def _validate_flags(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Check flag values argparse cannot, with the config's own rules; exit 2 when wrong."""
    if args.command == "synth":
        if not args.text_file.is_file():
            parser.exit(1, f"kokoro-narrator synth: error: --text-file {args.text_file}: no such file\n")
        fields = {f.name: f for f in dataclasses.fields(KokoroConfig)}
        for name in ("speed", "lang_code", "split_pattern"):
            value = getattr(args, name)
            problem = value is not None and fields[name].metadata["check"](value)
            if problem:
                parser.exit(2, f"kokoro-narrator synth: error: --{name.replace('_', '-')}: {problem}, got {value!r}\n")
    if args.command == "chunk" and args.max_chunk_chars is not None and args.max_chunk_chars < 100:
        parser.exit(2, "kokoro-narrator chunk: error: --max-chunk-chars must be at least 100\n")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _validate_flags(parser, args)
    if argv is None and args.command in ("run", "synth"):
        prepare_process()  # only from the command line: never change a test's process
    setup_logging(getattr(args, "verbose", False))
    escape_logged_names()  # a book name with a newline stays on one log line
    if args.command == "config":
        return cmd_config_init(args)
    try:
        config = load_config(args.config)
    except ConfigError as exc:  # logged, so that the journal gives it error priority
        log.error("%s", exc)
        return EX_CONFIG
    config = with_default_lexicon(_kokoro_overrides(config, args), args.config)  # lexicon.toml next to the config
    from ..synthesis import EngineError

    commands = {"run": cmd_run, "status": cmd_status, "synth": cmd_synth, "chunk": cmd_chunk,
                "install-service": cmd_install_service, "export": cmd_export, "web-url": cmd_web_url,
                **dict.fromkeys(("cancel", "retry", "next", "pause", "resume"), cmd_queue)}
    try:
        code = commands[args.command](config, args)
        sys.stdout.flush()  # a closed pipe shows here, not as a traceback at exit
        return code
    except EngineError as exc:
        log.error("%s", exc)
        return 1
    except BaseException as exc:  # a closed pipe, Ctrl-C or a bug: one line, the traceback only with -v
        return one_line_error(args.command, exc, getattr(args, "verbose", False))


if __name__ == "__main__":
    sys.exit(main())
