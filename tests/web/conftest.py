"""Fixtures of the page's tests: a config with the page on, a daemon serving it (support/web.py)."""

from __future__ import annotations

import pytest

from support.web import free_port, Served


@pytest.fixture
def web_config(make_config, tmp_path):
    """A config with the page on, on a free loopback port, its token in tmp_path/state."""
    def make(**web):
        settings = {"enabled": True, "listen": f"127.0.0.1:{free_port()}", "state_dir": tmp_path / "state", **web}
        return make_config(web=settings, watch={"settle_seconds": 0.1})
    return make


@pytest.fixture
def serve(web_config):
    """Factory: serve(provider=None, **web) -> a running Served; stopped after the test."""
    running = []

    def start(provider=None, **web) -> Served:
        served = Served(web_config(**web), provider)
        running.append(served)
        return served

    yield start
    for served in running:
        served.stop()


@pytest.fixture
def page(serve) -> Served:
    return serve()
