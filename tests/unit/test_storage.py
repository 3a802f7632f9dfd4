import io
import os

import pytest
from cryptography.fernet import Fernet

from core.storage import EncryptedStorage, InvalidStorageKey, LocalStorage, validate_key


@pytest.fixture
def store(tmp_path):
    return LocalStorage(tmp_path / "media")


def test_round_trip_of_bytes_creates_directories(store):
    assert store.save("posts/7/a1b2.jpg", b"hello") == "posts/7/a1b2.jpg"

    assert store.read("posts/7/a1b2.jpg") == b"hello"
    with store.open("posts/7/a1b2.jpg") as stored:
        assert stored.read() == b"hello"
    assert store.exists("posts/7/a1b2.jpg")
    assert store.size("posts/7/a1b2.jpg") == 5
    assert (store.root / "posts" / "7" / "a1b2.jpg").is_file()


def test_save_streams_a_file_object_and_replaces_the_old_object(store):
    store.save("a.bin", b"old content")
    store.save("a.bin", io.BytesIO(b"x" * 3_000_000))

    assert store.size("a.bin") == 3_000_000


def test_delete_is_idempotent(store):
    store.save("a.bin", b"1")
    store.delete("a.bin")
    store.delete("a.bin")

    assert not store.exists("a.bin")
    with pytest.raises(FileNotFoundError):
        store.read("a.bin")


def test_files_get_the_configured_mode(tmp_path):
    private = LocalStorage(tmp_path, file_mode=0o600)
    private.save("tips/1/e.bin", b"1")

    assert (tmp_path / "tips/1/e.bin").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "key",
    [
        "", "..", "../outside", "a/../../outside", "/etc/passwd", "a\\..\\..\\outside", "..\\outside",
        "C:/Windows/x", "a//b", "a/./b", "./a", "a/", ".hidden", "~/x", "x\x00y", "a/b\n", "%2e%2e/x",
        "ảnh.jpg", None, 7,
    ],
)
def test_unsafe_keys_are_rejected(store, key):
    with pytest.raises(InvalidStorageKey):
        validate_key(key)
    with pytest.raises(InvalidStorageKey):
        store.save(key, b"x")
    assert not any(store.root.parent.rglob("outside"))


def test_a_symlink_cannot_lead_out_of_the_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside)

    with pytest.raises(InvalidStorageKey):
        LocalStorage(root).save("link/x.bin", b"x")
    assert not any(outside.iterdir())


class _BrokenStream:
    """Yields one chunk, then fails as a dropped upload connection would."""

    def __init__(self):
        self.calls = 0

    def read(self, size=-1):
        self.calls += 1
        if self.calls > 1:
            raise ConnectionError("client went away")
        return b"partial"


def test_a_failed_write_leaves_the_old_object_and_no_temporary_file(store):
    store.save("docs/a.bin", b"complete")

    with pytest.raises(ConnectionError):
        store.save("docs/a.bin", _BrokenStream())

    assert store.read("docs/a.bin") == b"complete"
    assert os.listdir(store.root / "docs") == ["a.bin"]


def test_the_object_appears_only_when_it_is_complete(store, monkeypatch):
    def fail_replace(source, target):
        with open(source, "rb") as written:
            assert written.read() == b"new"
        raise OSError("disk full")

    store.save("a.bin", b"old")
    monkeypatch.setattr(os, "replace", fail_replace)

    with pytest.raises(OSError):
        store.save("a.bin", b"new")

    assert store.read("a.bin") == b"old"
    assert os.listdir(store.root) == ["a.bin"]


@pytest.fixture
def vault(tmp_path):
    fernet = Fernet(Fernet.generate_key())
    return EncryptedStorage(LocalStorage(tmp_path), fernet.encrypt, fernet.decrypt)


def test_encrypted_storage_never_writes_plaintext(vault, tmp_path):
    secret = "Ảnh hiện trường: số nhà 12, ấp Chợ, Trà Cú".encode() * 50

    vault.save("tips/3/evidence.jpg", secret)

    on_disk = (tmp_path / "tips/3/evidence.jpg").read_bytes()
    assert secret[:20] not in on_disk
    assert "Trà Cú".encode() not in on_disk
    assert vault.read("tips/3/evidence.jpg") == secret
    with vault.open("tips/3/evidence.jpg") as stored:
        assert stored.read() == secret
    assert vault.size("tips/3/evidence.jpg") == len(secret)
    assert vault.exists("tips/3/evidence.jpg")


def test_encrypted_storage_accepts_a_file_and_deletes(vault, tmp_path):
    vault.save("e.bin", io.BytesIO(b"plain bytes"))

    assert b"plain bytes" not in (tmp_path / "e.bin").read_bytes()
    assert vault.read("e.bin") == b"plain bytes"
    vault.delete("e.bin")
    assert not vault.exists("e.bin")


def test_encrypted_storage_validates_keys_through_the_inner_store(vault):
    with pytest.raises(InvalidStorageKey):
        vault.save("../escape", b"x")
