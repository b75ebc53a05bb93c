"""Steering from the page takes the CLI's own path (jobs.steering): the same decisions, the same words."""

from __future__ import annotations

import logging
import os
import re

from kokoro_narrator.cli import main

from support.daemons import wait_for


def cli(page, tmp_path, capsys, *args: str) -> tuple[int, str]:
    """Run `kokoro-narrator ARGS` on the page's job store; return (exit code, what it said)."""
    path = tmp_path / "cli.toml"
    paths = page.config.paths
    path.write_text(f'[paths]\ninbox = "{paths.inbox}"\noutbox = "{paths.outbox}"\njobs = "{paths.jobs}"\n')
    capsys.readouterr()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        code = main([*args, "--config", str(path)])
    finally:  # the CLI's log handler writes to this test's stderr: the daemon's lines must not land there later
        root.handlers, root.level = handlers, level
    captured = capsys.readouterr()
    said = captured.out if code == 0 else captured.err.splitlines()[0]
    return code, said.strip()


def queued_books(page, client, *names: str) -> dict[str, dict]:
    for name in names:
        (page.config.paths.inbox / name).write_text(f"The book called {name}, with a sentence or two.\n")

    def listed():
        jobs = client.request("GET", "/api/queue").json()["jobs"]
        return {job["name"]: job for job in jobs} if len(jobs) == len(names) else None

    wait_for(listed, 20, "the books to be queued")
    return listed()


def steer(client, action: str, job: str | None = None):
    body = f'{{"action": "{action}"' + (f', "job": "{job}"' if job else "") + "}"
    return client.request("POST", "/api/steer", body.encode(), headers={"Content-Type": "application/json"})


def test_pause_and_resume_from_the_page_answer_as_the_cli_does(page, tmp_path, capsys):
    client = page.client().login()
    answer = steer(client, "pause")
    assert answer.status == 200
    assert answer.json()["message"] == f"paused: the book in progress stops at its next utterance, its work kept (daemon PID {os.getpid()})"
    assert cli(page, tmp_path, capsys, "pause") == (0, answer.json()["message"])
    assert steer(client, "resume").json()["message"] == cli(page, tmp_path, capsys, "resume")[1] == \
        f"resumed (daemon PID {os.getpid()})"
    assert not (page.config.paths.jobs / "paused").exists()


def test_cancel_next_and_retry_from_the_page_give_the_cli_s_answers(page, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(page.daemon, "_idle_timeout", lambda: 0.2)  # the CLI's requests are taken sooner
    client = page.client().login()
    steer(client, "pause")  # the books stay queued while they are steered
    jobs = queued_books(page, client, "one.txt", "two.txt")
    one, two = jobs["one.txt"], jobs["two.txt"]

    def same_words(page_answer: str, cli_answer: str) -> bool:
        """The same sentence, but for the book's name, id and priority (each `next` raises it by one)."""
        return re.sub(r"priority \d+", "", page_answer.replace("one.txt", "BOOK").replace(one["id"], "ID")) == \
            re.sub(r"priority \d+", "", cli_answer.replace("two.txt", "BOOK").replace(two["id"], "ID"))

    for action in ("next", "cancel", "retry"):
        answer = steer(client, action, one["id"])
        assert answer.status == 200, answer
        code, said = cli(page, tmp_path, capsys, action, two["id"])
        assert code == 0 and same_words(answer.json()["message"], said), (answer.json()["message"], said)
    statuses = {job["name"]: job["status"] for job in client.request("GET", "/api/queue").json()["jobs"]}
    assert statuses == {"one.txt": "queued", "two.txt": "queued"}


def test_an_action_that_does_not_apply_is_refused_with_the_cli_s_reason(page, tmp_path, capsys):
    client = page.client().login()
    steer(client, "pause")
    job = queued_books(page, client, "three.txt")["three.txt"]
    answer = steer(client, "retry", job["id"])
    code, said = cli(page, tmp_path, capsys, "retry", job["id"])
    assert answer.status == 409 and code == 1
    assert said == f"kokoro-narrator retry: {answer.json()['message']}"
    assert "only a failed or cancelled book can be retried" in said


def test_unknown_actions_and_jobs_are_refused_plainly(page):
    client = page.client().login()
    assert steer(client, "delete", "x").status == 400
    assert steer(client, "cancel", "no-such-job").status == 404
    bad = client.request("POST", "/api/steer", b"not json", headers={"Content-Type": "application/json"})
    assert bad.status == 400 and b"send JSON" in bad.body


def test_a_large_steering_request_is_refused_without_being_held(page):
    client = page.client().login()
    answer = client.request("POST", "/api/steer", b'{"action": "pause", "job": "' + b"x" * 100_000 + b'"}')
    assert answer.status == 413 and not (page.config.paths.jobs / "paused").exists()
