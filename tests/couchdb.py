"""A real CouchDB-protocol server for the sync tests: PouchDB Server, from npm, on loopback.

`.ci/run` installs it (`npm install pouchdb-server` into ~/.cache/mesotui-pouchdb, or the
folder $MESOTUI_POUCHDB names); a test run without it installs it the same way the first time,
and the tests skip, saying why, only where node or npm cannot be had. Each server runs in a
scratch folder (its config.json and log stay there) on a free loopback port, in memory or,
for the tests that kill it, on LevelDB in that folder so that a restart finds its data.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

VERSION = "4.2.0"
ADMIN = ("clinic-admin", "correct horse battery staple")


def install_dir() -> Path:
    return Path(os.environ.get("MESOTUI_POUCHDB") or Path.home() / ".cache" / "mesotui-pouchdb")


def executable() -> Path:
    """The pouchdb-server command, installed with npm if it is not there yet."""
    binary = install_dir() / "node_modules" / ".bin" / "pouchdb-server"
    if binary.exists():
        return binary
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("pouchdb-server needs node and npm, which this machine does not have")
    install_dir().mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
                           f"pouchdb-server@{VERSION}"], cwd=install_dir(),
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not binary.exists():
        pytest.fail(f"npm install pouchdb-server failed: {done.stderr[-500:]}")
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PouchServer:
    """One pouchdb-server process; `kill()` is SIGKILL, `start()` brings it back."""

    def __init__(self, folder: Path, *, persistent: bool = False) -> None:
        self.folder = folder
        self.persistent = persistent
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.admin: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PouchServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        storage = ["--dir", str(self.folder / "data")] if self.persistent else ["--in-memory"]
        self.process = subprocess.Popen(
            [str(executable()), *storage, "--port", str(self.port), "--host", "127.0.0.1",
             "--config", str(self.folder / "config.json"), "--no-stdout-logs"],
            cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("pouchdb-server exited at start")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError("pouchdb-server did not start within 30 s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        self.kill()

    def call(self, method: str, path: str, body: object = None,
             auth: tuple[str, str] | None = None) -> tuple[int, object]:
        """One request, as the server's administrator (the tests' own look at the server)."""
        import base64

        request = urllib.request.Request(self.url + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Content-Type", "application/json")
        who = auth or self.admin
        if who:
            token = base64.b64encode(f"{who[0]}:{who[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def add_admin(self, user: str = ADMIN[0], password: str = ADMIN[1]) -> None:
        """End the 'admin party': from now on the server wants this user's password."""
        status, _ = self.call("PUT", f"/_config/admins/{user}", password)
        assert status == 200
        self.admin = (user, password)

    def everything(self, database: str) -> str:
        """All the server holds of a database, as one text: every document, every leaf."""
        status, listing = self.call("GET", f"/{database}/_all_docs?include_docs=true")
        assert status == 200, listing
        parts = [json.dumps(listing)]
        for row in listing["rows"]:  # type: ignore[index]
            status, leaves = self.call("GET", f"/{database}/{row['id']}?open_revs=all&revs=true")
            parts.append(json.dumps(leaves))
        return "\n".join(parts)


@pytest.fixture(scope="module")
def pouchdb(tmp_path_factory: pytest.TempPathFactory):
    """An in-memory pouchdb-server for a test module (each test uses its own database)."""
    server = PouchServer(tmp_path_factory.mktemp("pouchdb")).start()
    try:
        yield server
    finally:
        server.stop()


class Proxy:
    """A loopback HTTP proxy in front of a server, that can answer some requests itself: an
    older CouchDB without `_bulk_get`, or a full disk on `_bulk_docs`."""

    def __init__(self, target_port: int, answers: dict[str, tuple[int, object]]) -> None:
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.seen.append(f"{self.command} {self.path}")
                for endpoint, (status, data) in answers.items():
                    if endpoint in self.path:
                        return self._send(status, json.dumps(data).encode())
                conn = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                self._send(response.status, response.read())
                conn.close()

            def _send(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.seen: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
