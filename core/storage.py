"""Where uploaded files live: one small interface, a local-directory store, and encrypting wrappers.

Keys are relative, '/'-separated paths chosen by the caller (e.g. ``posts/3/9f2c.jpg``). They are validated
strictly, so a key can never name a file outside the store's root, whatever the store is backed by.
An S3-compatible store can implement `Storage` with the same keys.
"""
import contextlib
import io
import os
import re
import shutil
import struct
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
_COPY_CHUNK = 1024 * 1024


class InvalidStorageKey(ValueError):
    """A key that is empty, absolute, or could climb out of the store's root."""


def validate_key(key: str) -> str:
    """Return `key` unchanged if it is a safe relative path, else raise `InvalidStorageKey`.

    Each segment starts with a letter or digit and holds only ``[A-Za-z0-9._-]``: that alone rules out
    '..', '.', hidden files, absolute paths, backslashes, drive letters and NUL bytes.
    """
    if not isinstance(key, str) or not key or len(key) > 1024:
        raise InvalidStorageKey(f"invalid storage key: {key!r}")
    if not all(_SEGMENT.fullmatch(segment) for segment in key.split("/")):
        raise InvalidStorageKey(f"invalid storage key: {key!r}")
    return key


class Storage(ABC):
    """Binary objects addressed by key. A missing key raises `FileNotFoundError` (except in `delete`)."""

    @abstractmethod
    def save(self, key: str, data: bytes | BinaryIO) -> str:
        """Store `data` (bytes or a readable binary file) under `key`, replacing any object there."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable binary file; the caller closes it."""

    def read(self, key: str) -> bytes:
        with self.open(key) as stored:
            return stored.read()

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error, so retried jobs stay idempotent."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int:
        """Size in bytes of the object as `read` returns it."""


class LocalStorage(Storage):
    """Files under a root directory (the app's MEDIA_ROOT or PRIVATE_ROOT).

    Writes go to a temporary file in the target directory and are moved into place with `os.replace`, so a
    reader sees the old object or the new one, never half of one.
    """

    def __init__(self, root: str | os.PathLike, file_mode: int = 0o644):
        self.root = Path(root)
        self.file_mode = file_mode

    def path(self, key: str) -> Path:
        """The file behind `key`, for `send_file` or X-Accel-Redirect (they answer the Range requests that
        Safari needs to play video). Raises `InvalidStorageKey` if a symlink would lead outside the root."""
        candidate = self.root / validate_key(key)
        root = os.path.realpath(self.root)
        if os.path.commonpath([root, os.path.realpath(candidate)]) != root:
            raise InvalidStorageKey(f"storage key leaves the root: {key!r}")
        return candidate

    def save(self, key: str, data: bytes | BinaryIO) -> str:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as out:
                if isinstance(data, (bytes, bytearray, memoryview)):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, _COPY_CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, self.file_mode)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(key))

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return os.path.getsize(self.path(key))


class EncryptedStorage(Storage):
    """Encrypts every object before it reaches the wrapped store (tip evidence originals).

    `encrypt` and `decrypt` map bytes to bytes (the app passes its Fernet-based pair). Fernet works on whole
    messages, so objects are held in memory; uploads are capped at 100 MB before they get here.
    """

    def __init__(self, inner: Storage, encrypt: Callable[[bytes], bytes], decrypt: Callable[[bytes], bytes]):
        self.inner = inner
        self._encrypt = encrypt
        self._decrypt = decrypt

    def save(self, key: str, data: bytes | BinaryIO) -> str:
        plaintext = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else data.read()
        return self.inner.save(key, self._encrypt(plaintext))

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self.read(key))

    def read(self, key: str) -> bytes:
        return self._decrypt(self.inner.read(key))

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def size(self, key: str) -> int:
        """The plaintext size; this decrypts the object, since ciphertext length is not the file's."""
        return len(self.read(key))


class StreamingEncryptedStorage(Storage):
    """Encrypts objects of any size in constant memory (report exports of hundreds of MB).

    The object is cut into `chunk_size` plaintext chunks, each a Fernet token (the same keys and rotation as
    `EncryptedStorage`) over its index, a last-chunk flag and its bytes, stored with its length:
    ``MAGIC · chunk size · (length · token)*``. Fernet authenticates each chunk; the index and the flag inside it
    make a reordered, repeated, cut-short or extended file fail to read instead of reading as something else.
    Every chunk but the last has the same length, so chunk `n` starts at a computable offset.
    """

    MAGIC = b"KNS1"
    _HEADER = struct.Struct(">4sI")
    _LENGTH = struct.Struct(">I")
    _CHUNK_HEAD = struct.Struct(">QB")

    def __init__(self, inner: Storage, encrypt: Callable[[bytes], bytes], decrypt: Callable[[bytes], bytes],
                 chunk_size: int = 1024 * 1024, read_whole_tokens: bool = False):
        self.inner = inner
        self._encrypt = encrypt
        self._decrypt = decrypt
        self.chunk_size = chunk_size
        # Objects written by `EncryptedStorage` (one token per object) still read, whole, when asked for: evidence
        # stored before evidence moved to this format. New writes are always chunked.
        self.read_whole_tokens = read_whole_tokens

    def save(self, key: str, data: bytes | BinaryIO) -> str:
        source = io.BytesIO(bytes(data)) if isinstance(data, (bytes, bytearray, memoryview)) else data
        return self.inner.save(key, _EncryptingReader(self, source))

    def _sealed(self, index: int, last: bool, chunk: bytes) -> bytes:
        token = self._encrypt(self._CHUNK_HEAD.pack(index, last) + chunk)
        return self._LENGTH.pack(len(token)) + token

    def open(self, key: str) -> BinaryIO:
        stored = self.inner.open(key)
        if self.read_whole_tokens and not self._is_chunked(stored):
            return io.BytesIO(self._whole_token(stored))
        return io.BufferedReader(_DecryptingReader(self, stored), buffer_size=self.chunk_size)

    def _is_chunked(self, stored: BinaryIO) -> bool:
        chunked = _read_exactly(stored, len(self.MAGIC)) == self.MAGIC
        stored.seek(0)
        return chunked

    def _whole_token(self, stored: BinaryIO) -> bytes:
        with stored:
            try:
                return self._decrypt(stored.read())
            except Exception as exc:
                raise ValueError("encrypted object does not authenticate") from exc

    def plain_size(self, key: str) -> int:
        """The plaintext size, from the object's length and its last chunk alone (decrypted and checked: it must
        carry its index and the last-chunk flag), so serving a range of a large object never reads all of it."""
        with self.inner.open(key) as stored:
            if self.read_whole_tokens and not self._is_chunked(stored):
                return len(self._whole_token(stored))
            layout = _ChunkLayout(self, stored)
            return layout.plain_size()

    def read_range(self, key: str, start: int, stop: int):
        """Yield the plaintext bytes [start, stop) of an object, decrypting only the chunks that hold them: the
        answer to an HTTP Range request. `stop` is clipped at the end of the object."""
        stored = self.inner.open(key)
        try:
            if self.read_whole_tokens and not self._is_chunked(stored):
                yield self._whole_token(stored)[start:stop]
                return
            layout = _ChunkLayout(self, stored)
            yield from layout.read(start, stop)
        finally:
            stored.close()

    def read(self, key: str) -> bytes:
        with self.open(key) as stored:
            return stored.read()

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def size(self, key: str) -> int:
        """The plaintext size (every chunk is decrypted: a size is only trusted once it has been read whole)."""
        with self.open(key) as stored:
            return sum(len(block) for block in iter(lambda: stored.read(self.chunk_size), b""))


class _ChunkLayout:
    """Random access to a chunked object: every chunk but the last is `4 + full` bytes long (`full` read from the
    first chunk's length), so chunk `n` starts at header + n × (4 + full). Each chunk read is authenticated and
    must carry index `n`, and only the last chunk may carry the last-chunk flag, so moved, repeated or dropped
    chunks fail to read here as they do when the object is read whole."""

    def __init__(self, storage: StreamingEncryptedStorage, stored: BinaryIO):
        self.storage, self.stored = storage, stored
        header = _read_exactly(stored, storage._HEADER.size)
        magic, self.chunk_size = storage._HEADER.unpack(header.ljust(storage._HEADER.size, b"\0"))
        if magic != storage.MAGIC or not self.chunk_size:
            raise ValueError("not an encrypted object of this store")
        length = _read_exactly(stored, storage._LENGTH.size)
        if len(length) < storage._LENGTH.size:
            raise ValueError("encrypted object cut short")
        self.stride = storage._LENGTH.size + storage._LENGTH.unpack(length)[0]
        stored.seek(0, io.SEEK_END)
        body = stored.tell() - storage._HEADER.size
        self.chunks = max(1, -(-body // self.stride))

    def chunk(self, index: int) -> bytes:
        storage = self.storage
        self.stored.seek(storage._HEADER.size + index * self.stride)
        length = _read_exactly(self.stored, storage._LENGTH.size)
        if len(length) < storage._LENGTH.size:
            raise ValueError("encrypted object cut short")
        token = _read_exactly(self.stored, storage._LENGTH.unpack(length)[0])
        try:
            plain = storage._decrypt(token)
        except Exception as exc:  # whatever the cipher raises for a token that does not authenticate
            raise ValueError("encrypted object's chunk does not authenticate") from exc
        found, last = storage._CHUNK_HEAD.unpack(plain[:storage._CHUNK_HEAD.size])
        if found != index or bool(last) != (index == self.chunks - 1):
            raise ValueError("encrypted object's chunks out of order or cut short")
        if last and self.stored.read(1):
            raise ValueError("encrypted object extended past its last chunk")
        return plain[storage._CHUNK_HEAD.size:]

    def plain_size(self) -> int:
        return (self.chunks - 1) * self.chunk_size + len(self.chunk(self.chunks - 1))

    def read(self, start: int, stop: int):
        index = start // self.chunk_size
        while start < stop and index < self.chunks:
            plain = self.chunk(index)
            base = index * self.chunk_size
            part = plain[start - base:stop - base]
            if not part:
                return
            yield part
            start += len(part)
            index += 1


class _EncryptingReader(io.RawIOBase):
    """The encrypted form of a plaintext stream, produced one chunk at a time as it is read."""

    def __init__(self, storage: StreamingEncryptedStorage, source: BinaryIO):
        self.storage, self.source = storage, source
        self.pending = storage._HEADER.pack(storage.MAGIC, storage.chunk_size)
        self.index, self.done = 0, False
        self.next_chunk = self._read_chunk()

    def readable(self) -> bool:
        return True

    def _read_chunk(self) -> bytes:
        return _read_exactly(self.source, self.storage.chunk_size)

    def readinto(self, buffer) -> int:
        while not self.pending and not self.done:
            chunk, self.next_chunk = self.next_chunk, self._read_chunk()
            last = not self.next_chunk
            self.pending = self.storage._sealed(self.index, last, chunk)
            self.index += 1
            self.done = last
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


class _DecryptingReader(io.RawIOBase):
    """Plaintext of a stored object, one authenticated chunk at a time; any tampering raises ValueError."""

    def __init__(self, storage: StreamingEncryptedStorage, stored: BinaryIO):
        self.storage, self.stored = storage, stored
        magic, chunk_size = storage._HEADER.unpack(_read_exactly(stored, storage._HEADER.size).ljust(8, b"\0"))
        if magic != storage.MAGIC:
            raise ValueError("not an encrypted object of this store")
        self.chunk_size = chunk_size
        self.pending, self.index, self.done = b"", 0, False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes:
        length = _read_exactly(self.stored, self.storage._LENGTH.size)
        if len(length) < self.storage._LENGTH.size:
            raise ValueError("encrypted object cut short")
        token = _read_exactly(self.stored, self.storage._LENGTH.unpack(length)[0])
        try:
            plain = self.storage._decrypt(token)
        except Exception as exc:  # whatever the cipher raises for a token that does not authenticate
            raise ValueError("encrypted object's chunk does not authenticate") from exc
        index, last = self.storage._CHUNK_HEAD.unpack(plain[:self.storage._CHUNK_HEAD.size])
        if index != self.index:
            raise ValueError("encrypted object's chunks out of order")
        if last and self.stored.read(1):
            raise ValueError("encrypted object extended past its last chunk")
        self.index, self.done = index + 1, bool(last)
        return plain[self.storage._CHUNK_HEAD.size:]

    def readinto(self, buffer) -> int:
        while not self.pending and not self.done:
            self.pending = self._next_chunk()
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size

    def close(self) -> None:
        self.stored.close()
        super().close()


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    parts, remaining = [], size
    while remaining:
        part = stream.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)
