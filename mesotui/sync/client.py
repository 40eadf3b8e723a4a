"""A small HTTP client for the CouchDB endpoints replication uses.

Built on the standard library's http.client, with one kept-alive connection per sync: the
replicator needs eight JSON endpoints and nothing an HTTP package would add (no streaming
feed, no cookies, no redirects), and this keeps the app's dependencies what they are.

The address policy: HTTPS, with the certificate verified by ssl's default context (or a
clinic's own CA file), for any server that is not this machine; plain HTTP only to loopback,
or to another host when the clinic explicitly allows it. Every failure is one `SyncError`.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import orjson

from mesotui.sync.errors import SyncError
from mesotui.terminal import safe

_RETRIED = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine: a loopback address, or a name (localhost) every
    address of which is one. A name is never trusted as such: a hosts file or resolver that
    sends "localhost" elsewhere must not get the password over plain http."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in found}
    return bool(addresses) and all(
        ipaddress.ip_address(str(a).partition("%")[0]).is_loopback for a in addresses)


def checked_url(url: str, *, allow_plain_http: bool = False) -> str:
    """The server's base address (scheme://host:port/prefix), refused if it is unsafe."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError("refused", f"{safe(url)} is not a server address (https://host:port)")
    if parts.username or parts.password:
        raise SyncError("refused", "put the user name and password in the sync setup, not "
                        "in the server address")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_plain_http:
        raise SyncError("refused", f"{parts.hostname} is another machine, and plain http "
                        "would send the clinic's password unencrypted: use https (or allow "
                        "plain http explicitly)")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class CouchClient:
    """One CouchDB database, spoken to over HTTP(S) with Basic auth and a timeout."""

    def __init__(self, url: str, database: str, user: str = "", password: str = "", *,
                 timeout: float = 30.0, allow_plain_http: bool = False,
                 ca_file: str | None = None) -> None:
        self.url = checked_url(url, allow_plain_http=allow_plain_http)
        self.database = database
        self.user = user
        self._parts = urlsplit(self.url)
        self._timeout = timeout
        self._auth = ("Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
                      if user else None)
        self._context = ssl.create_default_context(cafile=ca_file) \
            if self._parts.scheme == "https" else None
        self._conn: http.client.HTTPConnection | None = None
        self.requests = 0
        self.before: Callable[[], None] | None = None
        """Called before each request (the app's sync waits there while someone types)."""

    @property
    def where(self) -> str:
        """The database's address, without credentials, for messages and replication ids."""
        return f"{self.url}/{self.database}"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def db_path(self, *parts: str, query: dict[str, Any] | None = None) -> str:
        path = "/".join([self._parts.path, quote(self.database, safe=""), *parts])
        return path + ("?" + urlencode(query) if query else "")

    def request(self, method: str, path: str, body: Any = None, *,
                accept: tuple[int, ...] = (200, 201, 202)) -> tuple[int, Any]:
        """Send one request; (status, decoded JSON). A status outside `accept` and 404 raises."""
        if self.before is not None:
            self.before()
        payload = orjson.dumps(body) if body is not None else None
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self._auth:
            headers["Authorization"] = self._auth
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except _RETRIED:
                self.close()  # a kept-alive connection the server had closed: once more
                if attempt == 2:
                    raise SyncError("unreachable", f"the sync server at {self._host} closed "
                                    "the connection") from None
            except TimeoutError:
                self.close()
                raise SyncError("timeout", f"the sync server at {self._host} did not answer "
                                f"within {self._timeout:g} s") from None
            except ssl.SSLCertVerificationError as error:
                self.close()
                raise SyncError("refused", f"the certificate of {self._host} could not be "
                                f"verified ({safe(error.verify_message or str(error))})"
                                ) from None
            except OSError as error:
                self.close()
                raise SyncError("unreachable", f"cannot reach the sync server at "
                                f"{self._host} ({safe(error.strerror or str(error))})"
                                ) from None
        self.requests += 1
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            data = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            raise SyncError("server", f"{self._host} answered HTTP {response.status} with "
                            "something that is not CouchDB") from None
        if response.status not in accept and response.status != 404:
            raise self._failure(response.status, data)
        return response.status, data

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            host, port = self._parts.hostname or "", self._parts.port
            if self._context is not None:
                self._conn = http.client.HTTPSConnection(host, port, timeout=self._timeout,
                                                         context=self._context)
            else:
                self._conn = http.client.HTTPConnection(host, port, timeout=self._timeout)
        return self._conn

    @property
    def _host(self) -> str:
        return self._parts.netloc

    def _failure(self, status: int, data: Any) -> SyncError:
        error = data.get("error", "") if isinstance(data, dict) else ""
        reason = safe(str(data.get("reason", "")))[:200] if isinstance(data, dict) else ""
        said = f" ({reason})" if reason else ""
        if status == 401:
            who = f"user {self.user!r}" if self.user else "a sync without a user name"
            return SyncError("credentials", f"the sync server refused the user name or "
                             f"password ({who})")
        if status == 403:
            who = self.user or "this laptop"
            return SyncError("forbidden", f"the sync server does not let {who} use the "
                             f"database {self.database}{said}")
        if status == 413:
            return SyncError("rejected", f"the sync server refused a document as too large{said}")
        if status == 507 or error in ("insufficient_storage", "enospc"):
            return SyncError("full", f"the sync server is out of space{said}")
        code = f": {error}" if error else ""
        return SyncError("server", f"the sync server failed (HTTP {status}{code}){said}")
