"""The login token's file, the listen address's rules, and `kokoro-narrator web-url`."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import ssl
import stat
import subprocess

import pytest

from kokoro_narrator.cli import main
from kokoro_narrator.core import ConfigError
from kokoro_narrator.core.config import parse_config
from kokoro_narrator.jobs import holder
from kokoro_narrator.service import Daemon
from kokoro_narrator.web import WebError
from kokoro_narrator.web.access import Address, login_token, state_dir

from support.providers import ToneProvider


def test_the_token_is_made_once_in_a_file_only_its_owner_can_read(web_config):
    config = web_config()
    token = login_token(config)
    path = state_dir(config) / "web-token"
    assert len(token) >= 40 and path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert login_token(config) == token  # kept across starts


def test_a_token_file_others_can_read_is_refused_with_what_to_do(web_config):
    config = web_config()
    login_token(config)
    path = state_dir(config) / "web-token"
    path.chmod(0o644)
    with pytest.raises(WebError, match="chmod 600"):
        login_token(config)


def test_the_token_defaults_to_xdg_state_home(make_config, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    assert state_dir(make_config()) == tmp_path / "xdg-state" / "kokoro-tts"
    monkeypatch.setenv("XDG_STATE_HOME", "relative")  # the XDG spec ignores a relative path
    assert str(state_dir(make_config())) == os.path.expanduser("~/.local/state/kokoro-tts")


@pytest.mark.parametrize("listen", ["0.0.0.0:8765", "192.168.1.5:8765", "[::]:8765", "example.org:443"])
def test_listening_beyond_loopback_without_tls_is_a_config_error_naming_the_key(listen):
    with pytest.raises(ConfigError, match="web.listen: listening beyond loopback needs web.tls_cert and web.tls_key"):
        parse_config({"web": {"enabled": True, "listen": listen}})
    parse_config({"web": {"enabled": True, "listen": listen, "tls_cert": "c.pem", "tls_key": "k.pem"}})
    parse_config({"web": {"enabled": False, "listen": listen}})  # off: nothing listens


@pytest.mark.parametrize("listen", ["127.0.0.1:8765", "127.3.0.1:80", "localhost:9000", "[::1]:8765", "/run/k.sock"])
def test_loopback_and_unix_sockets_need_no_tls(listen):
    assert parse_config({"web": {"enabled": True, "listen": listen}}).web.listen == listen


def test_a_certificate_without_its_key_is_a_config_error():
    with pytest.raises(ConfigError, match="web.tls_key: must be set together"):
        parse_config({"web": {"tls_cert": "c.pem"}})


def test_tls_files_that_cannot_be_loaded_stop_the_daemon_with_the_reason(web_config, tmp_path):
    (tmp_path / "c.pem").write_text("not a certificate")
    config = web_config(listen="0.0.0.0:8765", tls_cert=tmp_path / "c.pem", tls_key=tmp_path / "c.pem")
    with pytest.raises(WebError, match="web.tls_cert / web.tls_key .* cannot be used"):
        Daemon(config, ToneProvider()).run()
    assert holder(config.paths.jobs) is None  # the store's lock is let go


def test_a_port_in_use_stops_the_daemon_with_the_reason(web_config):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = web_config(listen=f"127.0.0.1:{taken.getsockname()[1]}")
        with pytest.raises(WebError, match="cannot listen on 127.0.0.1:.*change \\[web\\] listen"):
            Daemon(config, ToneProvider()).run()


def test_the_hosts_a_loopback_page_answers_to_are_loopback_names_with_its_port(web_config):
    address = Address.of(web_config(listen="127.0.0.1:8765"))
    assert address.hosts() == {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert Address.of(web_config(listen="/tmp/x.sock")).hosts() is None


def test_web_url_prints_the_login_url_with_the_token(web_config, tmp_path, capsys):
    config = web_config(listen="127.0.0.1:8765")
    path = tmp_path / "config.toml"
    path.write_text(f'[paths]\njobs = "{config.paths.jobs}"\n[web]\nenabled = true\nstate_dir = "{tmp_path / "state"}"\n')
    assert main(["web-url", "--config", str(path)]) == 0
    url = capsys.readouterr().out.strip()
    assert url == f"http://127.0.0.1:8765/login?token={login_token(config)}"


def test_web_url_says_when_the_page_is_off(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text(f'[web]\nstate_dir = "{tmp_path / "state"}"\n')
    assert main(["web-url", "--config", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("http://127.0.0.1:8765/login?token=") and "enabled = true" in captured.err


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is needed to make a test certificate")
def test_with_tls_the_page_speaks_https_and_its_cookie_is_secure(serve, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True, timeout=60)
    page = serve(tls_cert=cert, tls_key=key)
    port = int(page.config.web.listen.rpartition(":")[2])
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False  # the test certificate names an IP address in its CN only

    def get(path: str, headers: dict[str, str] | None = None):
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    status, headers, _ = get(f"/login?token={login_token(page.config)}")
    assert status == 303 and "Secure" in headers["set-cookie"]
    cookie = headers["set-cookie"].split(";")[0]
    assert get("/api/queue", {"Cookie": cookie, "X-Kokoro-Key": headers["location"].removeprefix("/#key=")})[0] == 200
    with pytest.raises((ssl.SSLError, http.client.RemoteDisconnected, ConnectionResetError)):
        plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)  # no clear text on a TLS page
        plain.request("GET", "/api/queue", headers={"Cookie": cookie})
        plain.getresponse().read()


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]"])
def test_the_server_itself_refuses_clear_text_beyond_loopback_even_past_the_config_check(web_config, host):
    """The config's check goes by the name in `listen` (a `localhost` that /etc/hosts maps elsewhere passes
    it); the server looks at the address its socket is bound to and refuses without TLS."""
    import dataclasses
    from support.web import free_port

    config = web_config()
    config = dataclasses.replace(config, web=dataclasses.replace(config.web, listen=f"{host}:{free_port()}"))
    from kokoro_narrator.jobs import JobStore
    from kokoro_narrator.web import start_web

    try:
        served = start_web(config, JobStore(config.paths.jobs), lambda: None)
    except WebError as refused:
        assert "beyond loopback: the page would be served in clear text" in str(refused)
    else:
        served.stop()
        pytest.fail(f"the page was served in clear text on {config.web.listen}")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_token_file_another_user_planted_is_refused(web_config):
    """A state_dir another user can write (a shared folder): a 0600 token file of theirs is one whose token they
    know; the daemon (here run as root, which could read it) refuses it rather than serve the page under it."""
    config = web_config()
    folder = state_dir(config)
    folder.mkdir(parents=True)
    path = folder / "web-token"
    path.write_text("planted-by-someone-else-" + "x" * 40 + "\n")
    path.chmod(0o600)
    os.chown(path, 12345, 12345)
    with pytest.raises(WebError, match="belongs to another user"):
        login_token(config)
