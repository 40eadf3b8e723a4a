"""The HTTP client: certificates verified, plain HTTP only to this machine, and every failure
one plain line."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mesotui.sync.client import CouchClient, checked_url
from mesotui.sync.errors import SyncError
from mesotui.sync.remote import RemoteDB
from tests.couchdb import free_port


def test_https_is_required_for_another_machine_unless_plain_http_is_allowed() -> None:
    with pytest.raises(SyncError, match="plain http") as refused:
        CouchClient("http://192.168.1.20:5984", "clinic")
    assert refused.value.kind == "refused"
    assert checked_url("http://192.168.1.20:5984/", allow_plain_http=True).startswith("http:")
    for local in ("http://127.0.0.1:5984", "http://localhost:5984", "http://[::1]:5984"):
        assert checked_url(local) == local
    assert checked_url("https://nas.clinic.lan:6984/couch/") == "https://nas.clinic.lan:6984/couch"


def test_an_unreachable_server_is_one_line() -> None:
    client = CouchClient(f"http://127.0.0.1:{free_port()}", "clinic", "a", "pw", timeout=2)
    with pytest.raises(SyncError) as failed:
        RemoteDB(client).ensure()
    assert failed.value.kind == "unreachable" and failed.value.retry
    assert str(failed.value).startswith("cannot reach the sync server at 127.0.0.1:")
    assert "\n" not in str(failed.value)


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = CouchClient(f"http://127.0.0.1:{silent.getsockname()[1]}", "clinic",
                             timeout=0.5)
        with pytest.raises(SyncError, match="did not answer within 0.5 s") as failed:
            RemoteDB(client).ensure()
        assert failed.value.kind == "timeout"


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "clinic test CA")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=3650))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class _Couch(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = json.dumps({"db_name": "clinic"}).encode()
        if self.path.endswith("/html"):
            body = b"<html>a router's login page</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert, key = _certificate(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Couch)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], cert
    server.shutdown()
    server.server_close()


def test_a_certificate_that_does_not_verify_is_refused(https_server: tuple[int, Path]) -> None:
    port, _cert = https_server
    client = CouchClient(f"https://127.0.0.1:{port}", "clinic", "a", "pw", timeout=5)
    with pytest.raises(SyncError, match="certificate of 127.0.0.1:.* could not be verified") \
            as refused:
        RemoteDB(client).ensure()
    assert refused.value.kind == "refused" and not refused.value.retry


def test_the_clinics_own_certificate_authority_can_be_named(
        https_server: tuple[int, Path]) -> None:
    port, cert = https_server
    client = CouchClient(f"https://127.0.0.1:{port}", "clinic", "a", "pw", timeout=5,
                         ca_file=str(cert))
    assert client.request("GET", client.db_path()) == (200, {"db_name": "clinic"})
    with pytest.raises(SyncError, match="not CouchDB"):
        client.request("GET", "/html")
