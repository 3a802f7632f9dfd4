"""A playable copy of a voice recording, made by ffmpeg (Debian's package), called the careful way.

Browsers do not play AMR (Zalo's voice notes) and not every one plays every M4A, so staff get the sound again
as AAC in M4A, which every current browser plays. ffmpeg parses hostile bytes, so it is run:

- on input already recognised by its bytes (`core.media.check_evidence`), with the demuxer named (`-f`), never
  guessed, and only the `file` protocol allowed (no playlist or reference can reach another file or the network);
- with a fixed argument list, no shell, a minimal environment, one thread, a wall-clock timeout and CPU-time
  and file-size limits on the process, and a duration cap;
- writing a copy without any metadata or chapters (`-map_metadata -1`, bit-exact: not even the encoder's name).

Plaintext is on disk only inside a private temporary directory (mode 0700) for the length of one conversion.
"""
import json
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from core.media import AUDIO_MAX_BYTES

# The demuxer for each sniffed type: nothing else is ever handed to ffmpeg.
DEMUXERS = {"audio/amr": "amr", "audio/amr-wb": "amr", "audio/mp4": "mov"}
PLAYABLE_MIME, PLAYABLE_EXTENSION, PLAYABLE_CODEC = "audio/mp4", "m4a", "aac"
TIMEOUT_SECONDS = 120
MAX_SECONDS = 4 * 3600  # 20 MB of AMR-NB is about 3.6 hours
MAX_OUTPUT_BYTES = 64 * 1024 * 1024


class TranscodeError(Exception):
    """A conversion that did not give a playable copy. `permanent` failures (the input is refused, too large or
    too long) are not worth retrying; the others (ffmpeg failed or timed out) are."""

    def __init__(self, reason, permanent=False):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


@dataclass(frozen=True)
class Playable:
    data: bytes
    mime: str
    extension: str
    codec: str
    duration_ms: int


def tool_available():
    """Whether this server can make playable copies (ffmpeg and ffprobe on PATH)."""
    return bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))


def _limits(cpu_seconds, file_bytes):
    def apply():  # runs in the child, before ffmpeg starts
        import resource

        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _run(args, timeout, file_bytes):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    try:
        return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, env=env,
                              shell=False, check=False, preexec_fn=_limits(math.ceil(timeout) + 5, file_bytes))
    except subprocess.TimeoutExpired:
        raise TranscodeError("timeout") from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise TranscodeError(f"cannot run {args[0]}: {exc}") from None


def probe(path, timeout=30):
    """(codec of the first audio stream, duration in ms) of a media file, by ffprobe."""
    done = _run([shutil.which("ffprobe") or "ffprobe", "-v", "error", "-protocol_whitelist", "file",
                 "-show_entries", "stream=codec_type,codec_name:format=duration", "-of", "json", path],
                timeout, MAX_OUTPUT_BYTES)
    if done.returncode != 0:
        raise TranscodeError("unreadable")
    try:
        found = json.loads(done.stdout)
        codec = next(stream["codec_name"] for stream in found.get("streams", []) if stream["codec_type"] == "audio")
        duration_ms = round(float(found["format"]["duration"]) * 1000)
    except (ValueError, KeyError, StopIteration, TypeError):
        raise TranscodeError("unreadable") from None
    return codec, duration_ms


def make_playable(original, mime, *, timeout=TIMEOUT_SECONDS, max_input_bytes=AUDIO_MAX_BYTES,
                  max_seconds=MAX_SECONDS, max_output_bytes=MAX_OUTPUT_BYTES):
    """The AAC-in-M4A copy of `original` (bytes of type `mime`, already checked), or `TranscodeError`."""
    demuxer = DEMUXERS.get(mime)
    if demuxer is None:
        raise TranscodeError("unsupported", permanent=True)
    if len(original) > max_input_bytes:
        raise TranscodeError("too_large", permanent=True)
    if not tool_available():
        raise TranscodeError("no_tool", permanent=True)
    workdir = tempfile.mkdtemp(prefix="ketnoi-voice-")  # mode 0700
    try:
        source, target = os.path.join(workdir, "in"), os.path.join(workdir, "out.m4a")
        descriptor = os.open(source, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(original)
        done = _run([
            shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1",
            "-protocol_whitelist", "file", "-f", demuxer, "-i", source,
            "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
            "-t", str(max_seconds + 1), "-ac", "1", "-ar", "44100", "-c:a", "aac", "-b:a", "48k",
            "-fflags", "+bitexact", "-flags:a", "+bitexact", "-movflags", "+faststart",
            "-fs", str(max_output_bytes), "-f", "mp4", "-y", target,
        ], timeout, max_output_bytes + 1024 * 1024)
        if done.returncode != 0 or not os.path.isfile(target):
            raise TranscodeError("conversion_failed")
        size = os.path.getsize(target)
        if size >= max_output_bytes:
            raise TranscodeError("too_large", permanent=True)
        codec, duration_ms = probe(target)
        if codec != PLAYABLE_CODEC or duration_ms <= 0:
            raise TranscodeError("conversion_failed")
        if duration_ms > max_seconds * 1000:
            raise TranscodeError("too_long", permanent=True)
        with open(target, "rb") as made:
            data = made.read()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return Playable(data, PLAYABLE_MIME, PLAYABLE_EXTENSION, codec, duration_ms)
