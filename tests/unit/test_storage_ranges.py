"""Serving part of an encrypted object (HTTP Range): the bytes asked for, exactly, decrypting only the chunks
that hold them; a tampered object still fails; objects from the older one-token format still read."""
import os

import pytest
from cryptography.fernet import Fernet, MultiFernet

from core.storage import EncryptedStorage, LocalStorage, StreamingEncryptedStorage

CHUNK = 64


class CountingFernet:
    def __init__(self):
        self.fernet, self.decrypted = MultiFernet([Fernet(Fernet.generate_key())]), 0

    def encrypt(self, data):
        return self.fernet.encrypt(data)

    def decrypt(self, token):
        self.decrypted += 1
        return self.fernet.decrypt(token)


@pytest.fixture
def cipher():
    return CountingFernet()


@pytest.fixture
def sealed(tmp_path, cipher):
    return StreamingEncryptedStorage(LocalStorage(tmp_path), cipher.encrypt, cipher.decrypt, chunk_size=CHUNK,
                                     read_whole_tokens=True)


def _range(store, key, start, stop):
    return b"".join(store.read_range(key, start, stop))


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, CHUNK * 5 + 7])
def test_plain_size_reads_only_the_last_chunk(sealed, cipher, size):
    sealed.save("a.bin", os.urandom(size))
    cipher.decrypted = 0
    assert sealed.plain_size("a.bin") == size
    assert cipher.decrypted == 1


@pytest.mark.parametrize("start, stop", [(0, 1), (0, 64), (63, 65), (100, 200), (320, 327), (326, 327),
                                         (200, 10_000), (0, 327)])
def test_a_range_is_exactly_those_bytes_and_decrypts_only_its_chunks(sealed, cipher, start, stop):
    data = os.urandom(CHUNK * 5 + 7)
    sealed.save("a.bin", data)
    cipher.decrypted = 0
    assert _range(sealed, "a.bin", start, stop) == data[start:stop]
    last = min(stop, len(data)) - 1
    assert cipher.decrypted == last // CHUNK - start // CHUNK + 1


@pytest.mark.parametrize("tamper", ["cut", "swap", "repeat", "flip"])
def test_a_tampered_object_fails_to_serve_a_range(sealed, tamper):
    sealed.save("x.bin", os.urandom(CHUNK * 3 + 10))
    raw = sealed.inner.read("x.bin")
    header, body = raw[:8], raw[8:]
    stride = 4 + int.from_bytes(body[:4], "big")
    records = [body[offset:offset + stride] for offset in range(0, len(body), stride)]
    if tamper == "cut":
        records = records[:-1]
    elif tamper == "swap":
        records[1], records[2] = records[2], records[1]
    elif tamper == "repeat":
        records = [*records, records[-1]]
    else:
        records[1] = records[1][:20] + bytes([records[1][20] ^ 1]) + records[1][21:]
    sealed.inner.save("x.bin", header + b"".join(records))
    with pytest.raises(ValueError):
        sealed.plain_size("x.bin")
        _range(sealed, "x.bin", CHUNK, CHUNK * 3)


def test_objects_of_the_one_token_format_still_read(tmp_path, cipher, sealed):
    older = EncryptedStorage(LocalStorage(tmp_path), cipher.encrypt, cipher.decrypt)
    older.save("old.bin", b"evidence stored before chunking" * 10)
    assert sealed.read("old.bin") == b"evidence stored before chunking" * 10
    assert sealed.plain_size("old.bin") == 310
    assert _range(sealed, "old.bin", 9, 15) == b"stored"
    # rewriting it (as `vault rotate` does) moves it to the chunked format
    sealed.save("old.bin", sealed.open("old.bin"))
    assert sealed.inner.read("old.bin").startswith(b"KNS1") and sealed.read("old.bin").startswith(b"evidence")


def test_without_the_fallback_a_one_token_object_is_refused(tmp_path, cipher):
    EncryptedStorage(LocalStorage(tmp_path), cipher.encrypt, cipher.decrypt).save("old.bin", b"x")
    strict = StreamingEncryptedStorage(LocalStorage(tmp_path), cipher.encrypt, cipher.decrypt)
    with pytest.raises(ValueError):
        strict.read("old.bin")
    with pytest.raises(ValueError):
        strict.plain_size("old.bin")
