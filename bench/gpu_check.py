"""The GPU path end to end, as a user runs it (bench/gpu_check.sh calls this after its setup).

    python bench/gpu_check.py [--weights DIR] [--chars 6000] [--rehearse]

1. a book through the real daemon (`kokoro-narrator run`, device = "auto"): the log must say
   device=cuda (or rocm); time to the first chunk, realtime factor, the GPU memory it held;
2. the same book again, the daemon SIGKILLed inside its second chunk and started again: the
   published WAV must be byte-identical to the first run's;
3. kokoro's own README loop on the same GPU, the same text and weights: its realtime factor;
4. the generator under bf16 autocast on the GPU (precision = "bf16", conv_post in fp32), against
   fp32, through the engine: its realtime factor and its log-mel error on the first paragraphs
   (the CPU's bf16 path passed the quality bench at 0.25 dB; whole-decoder bf16 at 0.8 dB did not).

Without --weights it uses the tests' tiny random model: every check holds, but the speeds mean
nothing. --rehearse runs it all on a machine without a GPU (device = "cpu"), to test this script.
Prints a markdown table; with $OUT set, writes gpu_check.json there too. Exit code 1 when a
check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # support.tiny_model
BOOK = REPO / "tests" / "data" / "corpus" / "pg11.txt"  # travels with the repository, unlike ../shared
WAIT_SECONDS = 240.0


def book_text(chars: int) -> str:
    raw = BOOK.read_bytes().decode("utf-8-sig")
    return raw[:chars].rsplit("\r\n\r\n", 1)[0] + "\r\n"


def model_files(args, scratch: Path) -> dict:
    if args.weights:
        w = Path(args.weights).resolve()
        return {"model_config": w / "config.json", "model_weights": w / "kokoro-v1_0-dequant.pth",
                "voices_dir": w / "voices", "voice": args.voice}
    from support.tiny_model import build_tiny_model, VOICE

    w = build_tiny_model(scratch / "tiny")
    return {"model_config": w / "config.json", "model_weights": w / "tiny.pth", "voices_dir": w / "voices",
            "voice": VOICE}


class GpuMemory:
    """The most GPU memory a process held while it ran, sampled from nvidia-smi (or rocm-smi: none)."""

    def __init__(self, pid: int):
        self.pid, self.peak_mb, self.stop = pid, 0, threading.Event()
        self.tool = shutil.which("nvidia-smi")
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.tool and not self.stop.wait(0.5):
            try:
                rows = subprocess.run([self.tool, "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                                      capture_output=True, text=True, timeout=10).stdout.splitlines()
            except (OSError, subprocess.TimeoutExpired):
                return
            for row in rows:
                pid, _, used = row.partition(",")
                if pid.strip() == str(self.pid) and used.strip().isdigit():
                    self.peak_mb = max(self.peak_mb, int(used))

    def close(self) -> int | None:
        self.stop.set()
        self.thread.join(timeout=15)
        return self.peak_mb if self.tool else None


class Daemon:
    """`kokoro-narrator run` as a process, its log in a file, polled with bounds."""

    def __init__(self, root: Path, config: Path):
        self.root, self.log = root, root / "daemon.log"
        env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
        env.pop("NOTIFY_SOCKET", None)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "kokoro_narrator.cli", "run", "--config", str(config)],
                                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.memory = GpuMemory(self.process.pid)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait(self, what: str, done, timeout: float = WAIT_SECONDS) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return time.monotonic()
            if self.process.poll() is not None:
                raise RuntimeError(f"the daemon exited ({self.process.returncode}) waiting for {what}:\n{self.text()[-3000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}:\n{self.text()[-3000:]}")

    def end(self, sig: int = signal.SIGTERM) -> int | None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        return self.memory.close()


def write_config(root: Path, files: dict, device: str) -> Path:
    lines = ["[tts.kokoro]", f'voice = "{files["voice"]}"', f'device = "{device}"', 'lang_code = "a"',
             *(f'{key} = "{files[key]}"' for key in ("model_config", "model_weights", "voices_dir")),
             "[jobs]", "max_chunk_chars = 1500", "checkpoint_seconds = 0.0",
             "[paths]", *(f'{name} = "{root / name}"' for name in ("inbox", "outbox", "jobs")),
             "[watch]", "settle_seconds = 0.5"]
    root.mkdir(parents=True, exist_ok=True)
    path = root / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def drop(root: Path, text: str) -> float:
    """Copy the book into the inbox as a user's copy ends: a temp name, then a rename."""
    inbox = root / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    temp = inbox / ".book.txt.part"
    temp.write_text(text, encoding="utf-8", newline="")
    temp.rename(inbox / "book.txt")
    return time.monotonic()


def chunks_done(daemon: Daemon) -> int:
    return daemon.text().count("chunk done:")


def published(root: Path) -> bool:
    return (root / "outbox" / "book.json").exists()


def daemon_book(root: Path, files: dict, text: str, device: str) -> dict:
    """The book through the daemon in one go: device line, time to the first chunk, speed, memory."""
    daemon = Daemon(root, write_config(root, files, device))
    try:
        daemon.wait("engine ready", lambda: "engine ready" in daemon.text())
        dropped = drop(root, text)
        first = daemon.wait("the first chunk", lambda: chunks_done(daemon) >= 1)
        done = daemon.wait("the book published", lambda: published(root))
    finally:
        peak = daemon.end()
    ready = re.search(r"engine ready: .*?device=(\S+).*?precision=(\S+)", daemon.text())
    book = json.loads((root / "outbox" / "book.json").read_text(encoding="utf-8"))
    audio = book.get("audio_seconds") or book.get("timings", {}).get("audio_seconds")
    return {"device": ready.group(1) if ready else None, "precision": ready.group(2) if ready else None,
            "first_chunk_s": round(first - dropped, 2), "drop_to_published_s": round(done - dropped, 2),
            "audio_s": audio, "rtf": round(audio / (done - dropped), 2) if audio else None, "gpu_mb": peak,
            "wav": (root / "outbox" / "book.wav").read_bytes()}


def killed_and_resumed(root: Path, files: dict, text: str, device: str) -> dict:
    """The same book, the daemon SIGKILLed once the first chunk is done, then started again."""
    config = write_config(root, files, device)
    daemon = Daemon(root, config)
    try:
        daemon.wait("engine ready", lambda: "engine ready" in daemon.text())
        drop(root, text)
        daemon.wait("the first chunk", lambda: chunks_done(daemon) >= 1)
        time.sleep(0.3)  # inside the second chunk, past a checkpoint or two
    finally:
        daemon.end(signal.SIGKILL)
    kept = chunks_done(daemon)
    again = Daemon(root, config)
    try:
        again.wait("the resumed book published", lambda: published(root))
    finally:
        again.end()
    resumed = re.search(r"chunk (\d+)/\d+ of \S+ resumes at model call (\d+)", again.text())
    return {"chunks_before_kill": kept, "resumed_inside_chunk": resumed.group(0) if resumed else None,
            "wav": (root / "outbox" / "book.wav").read_bytes()}


def kokoro_loop(files: dict, text: str, device: str) -> dict:
    """kokoro's README loop: one KPipeline over the raw text, on the same device and weights."""
    import torch
    from kokoro import KModel, KPipeline

    model = KModel(repo_id="hexgrad/Kokoro-82M", config=str(files["model_config"]),
                   model=str(files["model_weights"])).to(device).eval()
    pipeline = KPipeline(lang_code="a", repo_id="hexgrad/Kokoro-82M", model=model)
    voice = str(Path(files["voices_dir"]) / f"{files['voice']}.pt")
    list(pipeline("Warm up.", voice=voice))
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started, first, frames = time.perf_counter(), None, 0
    for _, _, audio in pipeline(text, voice=voice, split_pattern=r"\n+"):
        frames += len(audio)
        first = first or time.perf_counter() - started
    wall = time.perf_counter() - started
    memory = round(torch.cuda.max_memory_allocated() / 2**20) if device == "cuda" else None
    return {"first_audio_s": round(first or 0.0, 2), "audio_s": round(frames / 24000, 2), "rtf": round(frames / 24000 / wall, 2),
            "torch_peak_mb": memory}


def bf16_against_fp32(files: dict, text: str, device: str, paragraphs: int = 4) -> dict:
    """The engine in fp32 and in bf16 on one device, the same paragraphs (the engine seeds each chunk):
    realtime factors and the bf16 audio's log-mel error against fp32's."""
    import dataclasses

    import numpy as np
    import torch
    from bench_int8 import log_mel_error
    from kokoro_narrator.core.config import KokoroConfig
    from kokoro_narrator.synthesis.engine import KokoroEngine

    pieces = [p.replace("\r\n", " ") for p in text.split("\r\n\r\n") if len(p) > 200][:paragraphs]
    base = KokoroConfig(voice=files["voice"], device=device, lang_code="a", model_config=Path(files["model_config"]),
                        model_weights=Path(files["model_weights"]), voices_dir=Path(files["voices_dir"]))
    result = {}
    for precision in ("fp32", "bf16"):
        engine = KokoroEngine.load(dataclasses.replace(base, precision=precision), warm_up=True)
        started, audio = time.perf_counter(), []
        for piece in pieces:
            audio.append(np.concatenate([segment.audio for segment in engine.synthesize_chunk(piece)]))
        if device == "cuda":
            torch.cuda.synchronize()
        wall = time.perf_counter() - started
        result[precision] = {"rtf": round(sum(map(len, audio)) / 24000 / wall, 2), "audio": audio}
        del engine
    errors = [log_mel_error(b, f) for b, f in zip(result["bf16"].pop("audio"), result["fp32"].pop("audio"))]
    return {"paragraphs": len(pieces), "fp32_rtf": result["fp32"]["rtf"], "bf16_rtf": result["bf16"]["rtf"],
            "log_mel_error_db": [round(e, 2) for e in errors]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="real Kokoro-82M weights (config.json, kokoro-v1_0-dequant.pth, voices/)")
    parser.add_argument("--voice", default="jf_gongitsune")
    parser.add_argument("--chars", type=int, default=6000)
    parser.add_argument("--rehearse", action="store_true", help="no GPU: run every step on the CPU")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available() and not args.rehearse:
        print(f"no GPU: torch {torch.__version__} sees none (torch.cuda.is_available() is False)", file=sys.stderr)
        return 2
    config_device, device = ("cpu", "cpu") if args.rehearse else ("auto", "cuda")
    text = book_text(args.chars)
    failures = []
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as scratch:
        scratch = Path(scratch)
        files = model_files(args, scratch)
        whole = daemon_book(scratch / "whole", files, text, config_device)
        if whole["device"] not in ({"cpu"} if args.rehearse else {"cuda", "rocm"}):
            failures.append(f"the engine ready line says device={whole['device']}")
        resumed = killed_and_resumed(scratch / "resumed", files, text, config_device)
        if resumed["wav"] != whole.pop("wav"):
            failures.append("the resumed book's WAV differs from the uninterrupted one's")
        resumed.pop("wav")
        loop = kokoro_loop(files, text, device)
        autocast = bf16_against_fp32(files, text, device)
    name = torch.cuda.get_device_name(0) if device == "cuda" else "CPU (rehearsal)"
    result = {"device": name, "torch": torch.__version__, "weights": "real" if args.weights else "tiny (speeds mean nothing)",
              "chars": len(text), "daemon": whole, "resume": resumed, "kokoro_loop": loop, "bf16": autocast, "failures": failures}
    print(report(result))
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_check.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 1 if failures else 0


def report(r: dict) -> str:
    d, loop, res = r["daemon"], r["kokoro_loop"], r["resume"]
    lines = [f"GPU check: {r['device']}, torch {r['torch']}, {r['weights']} weights, {r['chars']} characters",
             "", "| way | device line | first audio s | realtime factor | GPU memory MB |", "|---|---|---|---|---|",
             f"| daemon (drop → published) | device={d['device']} precision={d['precision']} | {d['first_chunk_s']} (first chunk) "
             f"| {d['rtf']} | {d['gpu_mb']} (nvidia-smi, whole process) |",
             f"| kokoro's loop (after its load) | | {loop['first_audio_s']} (first utterance) | {loop['rtf']} "
             f"| {loop['torch_peak_mb']} (torch peak) |",
             "", f"daemon vs kokoro's loop: {d['rtf'] / loop['rtf']:.2f}x" if d["rtf"] and loop["rtf"] else "",
             f"bf16 autocast vs fp32 (engine, {r['bf16']['paragraphs']} paragraphs): realtime factor "
             f"{r['bf16']['bf16_rtf']} vs {r['bf16']['fp32_rtf']}, log-mel error {r['bf16']['log_mel_error_db']} dB",
             f"resume after SIGKILL ({res['chunks_before_kill']} chunk(s) done, {res['resumed_inside_chunk'] or 'at a chunk start'}): "
             + ("byte-identical" if not any("resumed" in f for f in r["failures"]) else "DIFFERENT"),
             *(f"FAILED: {failure}" for failure in r["failures"])]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
