"""Does the page slow synthesis? Rounds with the page off and on (open and streaming), alternating, in one process.

    .venv/kokoro/bin/python bench/bench_web.py [--weights weights] [--voice jf_gongitsune] [--rounds 8] [--chars 3000]
                                               [--clients 2] [--poll 0] [--threads 2]

One warm engine (the tiny random model, or real Kokoro-82M weights with --weights) serves every round.
Each round runs the real daemon in this process (service.Daemon: watcher, ingest, worker) on a fresh
folder and drops the same book into its inbox; the figure is the job's own `synth_seconds` (the worker's
wall time inside synthesis, job.json). In an "on" round the daemon serves the page ([web] enabled) and
`--clients` pages run against it the whole time, in a process of their own as a browser is: each does
what the page does (it reads /api/books once, then holds the event stream /api/events open and reads
every event), and with `--poll S` also fetches /api/queue and /api/books every S seconds (a heavier
load than the page makes: a stress case). Rounds go off, on, on, off, ... (ABBA: a drift in the machine's speed
cancels out) after one warm-up round that is not counted. Prints each round, then on/off as the ratio
of the summed seconds and the median of the pairwise ratios; the issue's bar is within 2 %.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests")]  # support: build_config, the tiny model, the page's client

from support.config import build_config  # noqa: E402
from support.tiny_model import build_tiny_model, VOICE  # noqa: E402
from support.web import Client, free_port  # noqa: E402


def book(chars: int) -> str:
    sentences = ["The quiet river ran past the mill.", "A heron stood in the shallows, waiting.",
                 "Somewhere a bell rang twice and fell silent.", "The miller counted his sacks again."]
    text, n = [], 0
    while sum(map(len, text)) < chars:
        text.append(" ".join(sentences[(n + i) % 4] for i in range(4)))
        n += 1
    return "# The Mill\n\n" + "\n\n".join(text) + "\n"


def load_engine(args):
    import torch

    from kokoro_narrator.core.config import KokoroConfig
    from kokoro_narrator.synthesis import KokoroEngine

    torch.set_num_threads(args.threads)
    if args.weights:
        w = Path(args.weights)
        settings = KokoroConfig(voice=args.voice, device="cpu", model_config=w / "config.json",
                                model_weights=w / "kokoro-v1_0-dequant.pth", voices_dir=w / "voices")
    else:
        w = build_tiny_model(Path(tempfile.mkdtemp(prefix="bench-web-model-")))
        settings = KokoroConfig(voice=VOICE, device="cpu", model_config=w / "config.json",
                                model_weights=w / "tiny.pth", voices_dir=w / "voices")
    return settings, KokoroEngine.load(settings, warm_up=True)


class Browsers:
    """`count` pages' traffic (run in the child process: `--browse PORT`): each holds the event stream and
    reads every event; with poll > 0 it also fetches the lists every poll seconds."""

    def __init__(self, client: Client, count: int, poll: float):
        self.client, self.poll, self.stop, self.events, self.polls = client, poll, threading.Event(), 0, 0
        targets = (self._stream, self._poll) if poll > 0 else (self._stream,)
        self.threads = [threading.Thread(target=target, daemon=True) for _ in range(count) for target in targets]
        self.client.request("GET", "/api/books")  # what the page loads when it opens
        for thread in self.threads:
            thread.start()

    def _stream(self):
        connection = self.client.connection(timeout=5)
        connection.putrequest("GET", "/api/events", skip_host=True)
        connection.putheader("Host", self.client.host)
        connection.putheader("Cookie", self.client.cookie)
        connection.putheader("X-Kokoro-Key", self.client.key)
        connection.endheaders()
        response = connection.getresponse()
        while not self.stop.is_set():
            try:
                line = response.readline()
            except OSError:  # the stream's keep-alive comes every 15 s: a quiet 5 s is not an end
                continue
            if not line:
                break
            self.events += line.startswith(b"data: ")
        connection.close()

    def _poll(self):
        while not self.stop.wait(self.poll):
            for path in ("/api/queue", "/api/books"):
                self.client.request("GET", path)
                self.polls += 1

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(10)


def browse(port: int, token: str, count: int, poll: float) -> None:
    """The child process: log in, run the pages until stdin closes, print `events polls`."""
    browsers = Browsers(Client(port, token).login(), count, poll)
    sys.stdin.read()
    browsers.close()
    print(browsers.events, browsers.polls, flush=True)


def open_pages(port: int, token: str, count: int, poll: float):
    import subprocess

    return subprocess.Popen([sys.executable, __file__, "--browse", str(port), token, str(count), str(poll)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def one_round(settings, engine, text: str, web: bool, clients: int, poll: float) -> tuple[float, int, int]:
    """Make the book once through the daemon; return (synth_seconds, events read, polls made)."""
    from kokoro_narrator.service import Daemon

    root = Path(tempfile.mkdtemp(prefix="bench-web-"))
    config = build_config(root, tts={"kokoro": settings}, watch={"settle_seconds": 0.2},
                          web={"enabled": web, "listen": f"127.0.0.1:{free_port()}", "state_dir": root / "state"})
    daemon = Daemon(config, engine)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while daemon.watcher is None and time.monotonic() < deadline:
        time.sleep(0.05)
    browsers = None
    if web:
        from kokoro_narrator.web.access import login_token

        browsers = open_pages(int(config.web.listen.rpartition(":")[2]), login_token(config), clients, poll)
        time.sleep(2.0)  # the pages are open before the book comes
    (config.paths.inbox / "mill.md").write_text(text)
    job = None
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        done = [j for j in daemon.store.all() if j.status in ("done", "failed")]
        if done:
            job = done[0]
            break
        time.sleep(0.2)
    events, polls = 0, 0
    if browsers:
        out, _ = browsers.communicate("", timeout=60)
        events, polls = map(int, out.split()[-2:])
    daemon.stop.set()
    daemon.wake.set()
    thread.join(60)
    if job is None or job.status != "done":
        raise SystemExit(f"the book was not made in round {'on' if web else 'off'}: {job and job.error}")
    return job.synth_seconds, events, polls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="real weights dir (config.json, kokoro-v1_0-dequant.pth, voices/); default: tiny model")
    parser.add_argument("--voice", default="jf_gongitsune")
    parser.add_argument("--rounds", type=int, default=8, help="counted rounds, half off and half on (a multiple of 4)")
    parser.add_argument("--chars", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=2, help="open pages in an 'on' round")
    parser.add_argument("--poll", type=float, default=0.0, help="also fetch the lists every POLL s (0: as the page)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--browse", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.browse:
        port, token, count, poll = args.browse
        browse(int(port), token, int(count), float(poll))
        return 0
    settings, engine = load_engine(args)
    text = book(args.chars)
    one_round(settings, engine, text, False, args.clients, args.poll)  # warm-up: caches, allocator, first G2P
    order = [False, True, True, False] * max(1, args.rounds // 4)
    seconds = {False: [], True: []}
    print(f"{args.clients} pages, {'polling every %g s' % args.poll if args.poll else 'streaming as the page does'}")
    print("| round | page | synth s | events read | polls |\n|---|---|---|---|---|")
    for n, web in enumerate(order, 1):
        spent, events, polls = one_round(settings, engine, text, web, args.clients, args.poll)
        seconds[web].append(spent)
        print(f"| {n} | {'on' if web else 'off'} | {spent:.2f} | {events} | {polls} |", flush=True)
    pairs = [on / off for off, on in zip(seconds[False], seconds[True])]
    total = sum(seconds[True]) / sum(seconds[False])
    print(f"\non/off, summed: {total:.4f} ({(total - 1) * 100:+.2f} %); median of pairs: {statistics.median(pairs):.4f}; "
          f"{'within' if abs(total - 1) <= 0.02 else 'NOT within'} 2 %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
