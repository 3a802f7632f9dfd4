"""Download an attachment named in a webhook event without becoming a proxy into our own network.

A webhook body is attacker-reachable input until its signature is checked, and even a signed one names
URLs we did not choose, so every hop is vetted: the scheme must be https, the host must be one of the
allowed media hosts (or a subdomain), and every address it resolves to must be public. The connection then
goes to the vetted address itself, so a second DNS answer cannot swap in another one (DNS rebinding).
Redirects are followed by hand, at most three, each vetted like the first URL. The body is read in chunks
and abandoned as soon as it passes the size cap.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from zalo.errors import MediaRefused, MediaTooLarge, MediaUnavailable

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
MAX_REDIRECTS = 3
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 64 * 1024

Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchedMedia:
    content: bytes
    content_type: str | None  # as the server declared it: a hint, not a verified type
    url: str  # after redirects


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in resolver order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class MediaFetcher:
    """Fetches media URLs for one configuration (the app's ZALO_MEDIA_HOSTS and limits).

    `allow_private` is for tests and the local demo only: it also allows plain http, and addresses on
    loopback, so the fake Zalo on 127.0.0.1 can serve media. Link-local (cloud metadata), private and
    reserved addresses stay refused even then.
    """

    def __init__(
        self,
        allowed_hosts: Iterable[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = 10.0,
        max_seconds: float = 60.0,
        allow_private: bool = False,
        resolver: Resolver = resolve_addresses,
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.allowed_hosts = tuple(_normalise_host(host) for host in allowed_hosts if host.strip(" ."))
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_seconds = max_seconds
        self.allow_private = allow_private
        self._resolve = resolver
        self._ssl_context = ssl_context or ssl.create_default_context()

    def fetch(self, url: str) -> FetchedMedia:
        """The body and declared content type of `url`; raises MediaRefused, MediaTooLarge or MediaUnavailable."""
        deadline = time.monotonic() + self.max_seconds
        for _ in range(MAX_REDIRECTS + 1):
            target = self._vet(url)
            connection = self._connect(target)
            try:
                response = self._get(connection, target)
                if response.status in _REDIRECT_STATUSES:
                    location = response.getheader("Location")
                    if not location:
                        raise MediaUnavailable(f"HTTP {response.status} without a Location")
                    url = urljoin(url, location)
                    continue
                if response.status != 200:
                    raise MediaUnavailable(f"HTTP {response.status}")
                content = self._read_capped(response, deadline)
                return FetchedMedia(content, response.getheader("Content-Type"), url)
            finally:
                connection.close()
        raise MediaRefused(f"more than {MAX_REDIRECTS} redirects")

    def _vet(self, url: str) -> _Target:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            raise MediaRefused(f"scheme {scheme or 'missing'} is not allowed")
        if parts.username is not None or parts.password is not None:
            raise MediaRefused("credentials in a media URL are not allowed")
        host = _normalise_host(parts.hostname or "")
        if not host or not self._host_allowed(host):
            raise MediaRefused(f"host {host or 'missing'} is not an allowed media host")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise MediaRefused("invalid port") from None
        try:
            addresses = self._resolve(host, port)
        except OSError as error:
            raise MediaUnavailable(f"cannot resolve {host}: {type(error).__name__}") from None
        if not addresses:
            raise MediaUnavailable(f"{host} has no address")
        for address in addresses:
            if not self._address_allowed(address):
                raise MediaRefused(f"{host} resolves to a non-public address")
        if scheme == "http" and not (self.allow_private and all(_parse(a).is_loopback for a in addresses)):
            raise MediaRefused("media must be fetched over https")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return _Target(scheme, host, port, addresses[0], path)

    def _host_allowed(self, host: str) -> bool:
        return any(host == allowed or host.endswith("." + allowed) for allowed in self.allowed_hosts)

    def _address_allowed(self, address: str) -> bool:
        ip = _parse(address)
        if ip.is_loopback:
            return self.allow_private
        return ip.is_global and not (ip.is_multicast or ip.is_reserved or getattr(ip, "is_site_local", False))

    def _connect(self, target: _Target) -> http.client.HTTPConnection:
        if target.scheme == "https":
            return _PinnedHTTPSConnection(target.host, target.port, target.address, self.timeout, self._ssl_context)
        return _PinnedHTTPConnection(target.host, target.port, target.address, self.timeout)

    @staticmethod
    def _get(connection: http.client.HTTPConnection, target: _Target) -> http.client.HTTPResponse:
        try:
            connection.request("GET", target.path, headers={"Accept": "*/*", "User-Agent": "KetNoi-media/1"})
            return connection.getresponse()
        except ssl.SSLCertVerificationError:
            raise MediaRefused(f"{target.host} presented an untrusted certificate") from None
        except (OSError, http.client.HTTPException) as error:
            raise MediaUnavailable(f"cannot fetch from {target.host}: {type(error).__name__}") from None

    def _read_capped(self, response: http.client.HTTPResponse, deadline: float) -> bytes:
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise MediaTooLarge(f"declared {declared} bytes, the cap is {self.max_bytes}")
        chunks, total = [], 0
        try:
            while chunk := response.read(_CHUNK_BYTES):
                total += len(chunk)
                if total > self.max_bytes:
                    raise MediaTooLarge(f"more than {self.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise MediaUnavailable(f"download took longer than {self.max_seconds} s")
                chunks.append(chunk)
        except (OSError, http.client.HTTPException) as error:
            raise MediaUnavailable(f"download interrupted: {type(error).__name__}") from None
        return b"".join(chunks)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a vetted address while sending the URL's host name in the Host header."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a vetted address; the certificate is still checked against the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _normalise_host(host: str) -> str:
    return host.strip().rstrip(".").lower()


# IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it: NAT64 (RFC 6052's well-known
# prefix and RFC 8215's local-use one) and the deprecated IPv4-compatible form (::a.b.c.d).
_IPV4_CARRIERS = tuple(ipaddress.ip_network(prefix) for prefix in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96"))


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address, unwrapped when it is IPv4 inside IPv6 (::ffff:a.b.c.d, 6to4, NAT64, ::a.b.c.d) so its
    real kind is judged: NAT64 of 169.254.169.254 is the metadata service. (Teredo, 2001::/32, is not public.)"""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not isinstance(ip, ipaddress.IPv6Address):
        return ip
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if any(ip in network for network in _IPV4_CARRIERS) and int(ip) > 1:  # "::" and "::1" are themselves
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip
