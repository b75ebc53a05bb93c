"""Helpers shared by the tests (and the benches in bench/), importable as `support.<module>`.

pyproject.toml puts tests/ on the path (`pythonpath = ["tests"]`), so a test says
`from support.providers import ToneProvider`; no test changes sys.path.

- config.py: `build_config`, the one way a test makes a daemon's Config (the `config` and
  `make_config` fixtures of tests/conftest.py use it);
- jobs/store.py: `add_book`, a job made the way the daemon makes it, through ingest;
- providers.py: `ToneProvider`, a deterministic TTS provider without a model;
- tiny_model.py: a tiny, randomly initialised real Kokoro model as local files;
- daemons.py: a stand-in for systemd's notify socket, and `wait_for`;
- commands.py: `kokoro_narrator(...)`, the command line run in a process of its own;
- epubs.py, images.py: EPUBs and PNG covers made in code;
- commonmark.py: the CommonMark spec's examples, for the markdown reader;
- stuck_daemon.py: a script, `kokoro-narrator run` with a worker that hangs (tests/e2e/test_daemon.py).
"""
