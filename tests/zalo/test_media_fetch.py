"""Fetching event media safely: allowed hosts only, public addresses only, bounded redirects and size.

DNS is replaced by a table so "Zalo CDN" names can point at the fake Zalo on 127.0.0.1 (or at addresses
an attacker would like us to reach) without touching the network.
"""

import datetime
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devtools.zalo_fake import FakeZalo
from zalo.errors import MediaRefused, MediaTooLarge, MediaUnavailable
from zalo.media_fetch import MAX_REDIRECTS, MediaFetcher, resolve_addresses

CDN = "media.zdn.vn"


class TableResolver:
    """A stand-in for DNS that also remembers which names were looked up."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


@pytest.fixture
def fake():
    with FakeZalo() as server:
        yield server


def cdn_url(fake: FakeZalo, path: str, host: str = CDN) -> str:
    return f"http://{host}:{fake.port}{path}"


def test_fetches_an_image_from_an_allowed_host(fake):
    fetcher = MediaFetcher(["zdn.vn"], allow_private=True, resolver=TableResolver({CDN: ["127.0.0.1"]}))
    media = fetcher.fetch(cdn_url(fake, "/media/photo.png"))
    assert media.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert media.content_type == "image/png"
    assert fake.requests[-1].headers["host"] == f"{CDN}:{fake.port}"


def test_fetches_a_video_by_loopback_address_when_allowed(fake):
    media = MediaFetcher(["127.0.0.1"], allow_private=True).fetch(fake.media_url("clip.mp4"))
    assert media.content[4:8] == b"ftyp" and media.content_type == "video/mp4"


def test_follows_up_to_three_redirects_within_the_allowed_hosts(fake):
    url = fake.media_url("photo.png")
    for _ in range(MAX_REDIRECTS):
        url = fake.redirect_url(url)
    media = MediaFetcher(["127.0.0.1"], allow_private=True).fetch(url)
    assert media.url == fake.media_url("photo.png") and media.content_type == "image/png"


def test_refuses_a_fourth_redirect(fake):
    url = fake.media_url("photo.png")
    for _ in range(MAX_REDIRECTS + 1):
        url = fake.redirect_url(url)
    with pytest.raises(MediaRefused):
        MediaFetcher(["127.0.0.1"], allow_private=True).fetch(url)
    assert not any(request.path.startswith("/media/") for request in fake.requests)


def test_a_relative_redirect_stays_on_the_same_host(fake):
    resolver = TableResolver({CDN: ["127.0.0.1"]})
    fetcher = MediaFetcher([CDN], allow_private=True, resolver=resolver)
    media = fetcher.fetch(cdn_url(fake, "/redirect?to=/media/photo.png"))
    assert media.url == cdn_url(fake, "/media/photo.png")


# Refusals: nothing is fetched from where it should not be


def test_refuses_a_host_not_in_the_list_without_resolving_it():
    resolver = TableResolver({"cdn.zalo.example": ["203.0.113.7"]})
    with pytest.raises(MediaRefused):
        MediaFetcher(["zdn.vn"], resolver=resolver).fetch("https://cdn.zalo.example/jpg/0f9a3c7e.jpg")
    assert resolver.asked == []


@pytest.mark.parametrize("host", ["evilzdn.vn", "zdn.vn.evil.example", "xzdn.vn"])
def test_a_lookalike_host_is_not_a_subdomain(host):
    with pytest.raises(MediaRefused):
        MediaFetcher(["zdn.vn"], resolver=TableResolver({})).fetch(f"https://{host}/a.jpg")


def test_refuses_a_redirect_to_a_host_not_in_the_list(fake):
    resolver = TableResolver({CDN: ["127.0.0.1"], "evil.example": ["127.0.0.1"]})
    fetcher = MediaFetcher([CDN], allow_private=True, resolver=resolver)
    with pytest.raises(MediaRefused):
        fetcher.fetch(cdn_url(fake, "/redirect?to=" + cdn_url(fake, "/media/photo.png", host="evil.example")))
    assert "evil.example" not in resolver.asked


def test_refuses_a_redirect_to_loopback_by_address(fake):
    fetcher = MediaFetcher([CDN], allow_private=True, resolver=TableResolver({CDN: ["127.0.0.1"]}))
    with pytest.raises(MediaRefused):
        fetcher.fetch(cdn_url(fake, "/redirect?to=" + fake.media_url("photo.png")))


def test_refuses_a_redirect_to_the_cloud_metadata_address(fake):
    resolver = TableResolver({CDN: ["127.0.0.1"], "169.254.169.254": ["169.254.169.254"]})
    fetcher = MediaFetcher([CDN, "169.254.169.254"], allow_private=True, resolver=resolver)
    with pytest.raises(MediaRefused):
        fetcher.fetch(cdn_url(fake, "/redirect?to=http://169.254.169.254/latest/meta-data/"))


def test_refuses_a_redirect_to_an_allowed_name_that_resolves_to_metadata(fake):
    resolver = TableResolver({CDN: ["127.0.0.1"], "meta.zdn.vn": ["169.254.169.254"]})
    fetcher = MediaFetcher(["zdn.vn"], allow_private=True, resolver=resolver)
    with pytest.raises(MediaRefused):
        fetcher.fetch(cdn_url(fake, "/redirect?to=https://meta.zdn.vn/latest/meta-data/"))


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.10", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.5", "2002:a00:5::1"],
)
def test_refuses_an_allowed_name_that_resolves_to_a_non_public_address(address):
    resolver = TableResolver({CDN: [address]})
    with pytest.raises(MediaRefused):
        MediaFetcher(["zdn.vn"], resolver=resolver).fetch(f"https://{CDN}/a.jpg")


def test_refuses_when_any_resolved_address_is_private():
    resolver = TableResolver({CDN: ["203.0.113.7", "10.0.0.5"]})
    with pytest.raises(MediaRefused):
        MediaFetcher(["zdn.vn"], resolver=resolver).fetch(f"https://{CDN}/a.jpg")


@pytest.mark.parametrize("literal", ["10.0.0.5", "192.168.1.1", "169.254.169.254", "[::ffff:10.0.0.5]"])
def test_refuses_a_private_ip_literal_even_if_listed(literal):
    host = literal.strip("[]")
    with pytest.raises(MediaRefused):
        MediaFetcher([host], resolver=resolve_addresses).fetch(f"https://{literal}/a.jpg")


def test_test_mode_allows_loopback_but_not_metadata_or_private_ranges():
    resolver = TableResolver({"a.zdn.vn": ["169.254.169.254"], "b.zdn.vn": ["10.1.2.3"]})
    fetcher = MediaFetcher(["zdn.vn"], allow_private=True, resolver=resolver)
    for host in resolver.table:
        with pytest.raises(MediaRefused):
            fetcher.fetch(f"http://{host}/a.jpg")


def test_plain_http_is_refused_outside_test_mode(fake):
    with pytest.raises(MediaRefused):
        MediaFetcher(["127.0.0.1"]).fetch(fake.media_url("photo.png"))
    assert fake.requests == []


def test_plain_http_to_a_public_address_is_refused_even_in_test_mode():
    resolver = TableResolver({CDN: ["203.0.113.7"]})
    with pytest.raises(MediaRefused):
        MediaFetcher(["zdn.vn"], allow_private=True, resolver=resolver).fetch(f"http://{CDN}/a.jpg")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://media.zdn.vn/a.jpg", "gopher://media.zdn.vn/", "//media.zdn.vn/a.jpg",
     "https://user:pass@media.zdn.vn/a.jpg", "https://media.zdn.vn:99999/a.jpg", "https:///a.jpg"],
)
def test_refuses_other_schemes_credentials_and_malformed_urls(url):
    with pytest.raises(MediaRefused):
        MediaFetcher(["zdn.vn"], resolver=TableResolver({CDN: ["203.0.113.7"]})).fetch(url)


def test_no_allowed_hosts_means_nothing_is_fetched():
    with pytest.raises(MediaRefused):
        MediaFetcher([], resolver=TableResolver({CDN: ["203.0.113.7"]})).fetch(f"https://{CDN}/a.jpg")


# Size and failures


def test_a_declared_length_over_the_cap_is_refused_before_reading(fake):
    fake.add_media("big.mp4", bytes(5000), "video/mp4")
    with pytest.raises(MediaTooLarge):
        MediaFetcher(["127.0.0.1"], allow_private=True, max_bytes=4096).fetch(fake.media_url("big.mp4"))


def test_an_undeclared_length_is_cut_off_at_the_cap(fake):
    fake.add_media("stream.mp4", bytes(300_000), "video/mp4", declare_length=False)
    with pytest.raises(MediaTooLarge):
        MediaFetcher(["127.0.0.1"], allow_private=True, max_bytes=100_000).fetch(fake.media_url("stream.mp4"))


def test_a_file_exactly_at_the_cap_is_accepted(fake):
    fake.add_media("exact.bin", bytes(4096), "application/octet-stream", declare_length=False)
    media = MediaFetcher(["127.0.0.1"], allow_private=True, max_bytes=4096).fetch(fake.media_url("exact.bin"))
    assert len(media.content) == 4096


def test_a_missing_file_is_unavailable(fake):
    with pytest.raises(MediaUnavailable):
        MediaFetcher(["127.0.0.1"], allow_private=True).fetch(fake.media_url("gone.jpg"))


def test_a_server_error_is_unavailable(fake):
    fake.fail_next("/media/photo.png", http_status=503)
    with pytest.raises(MediaUnavailable):
        MediaFetcher(["127.0.0.1"], allow_private=True).fetch(fake.media_url("photo.png"))


def test_a_slow_server_times_out_as_unavailable(fake):
    fake.fail_next("/media/photo.png", delay=1.0)
    with pytest.raises(MediaUnavailable):
        MediaFetcher(["127.0.0.1"], allow_private=True, timeout=0.2).fetch(fake.media_url("photo.png"))


def test_an_unresolvable_host_is_unavailable():
    with pytest.raises(MediaUnavailable):
        MediaFetcher(["zdn.vn"], resolver=TableResolver({})).fetch(f"https://{CDN}/a.jpg")


def test_a_redirect_without_location_is_unavailable(fake):
    fake.fail_next("/media/photo.png", http_status=302, body=b"")
    with pytest.raises(MediaUnavailable):
        MediaFetcher(["127.0.0.1"], allow_private=True).fetch(fake.media_url("photo.png"))


# HTTPS: the connection goes to the vetted address, the certificate is checked against the name


def _self_signed(tmp_path, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_fake(tmp_path):
    cert, key = _self_signed(tmp_path, CDN)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    with FakeZalo(tls_context=server_context) as server:
        yield server, cert


def test_https_fetch_connects_to_the_vetted_address_and_checks_the_name(tls_fake):
    fake, cert = tls_fake
    fetcher = MediaFetcher(
        ["zdn.vn"], allow_private=True, resolver=TableResolver({CDN: ["127.0.0.1"]}),
        ssl_context=ssl.create_default_context(cafile=cert),
    )
    media = fetcher.fetch(f"https://{CDN}:{fake.port}/media/photo.png")
    assert media.content_type == "image/png"


def test_https_with_a_certificate_for_another_name_is_refused(tls_fake, tmp_path):
    fake, cert = tls_fake
    other = "other.zdn.vn"
    fetcher = MediaFetcher(
        ["zdn.vn"], allow_private=True, resolver=TableResolver({other: ["127.0.0.1"]}),
        ssl_context=ssl.create_default_context(cafile=cert),
    )
    with pytest.raises(MediaRefused):
        fetcher.fetch(f"https://{other}:{fake.port}/media/photo.png")
