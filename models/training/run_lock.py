"""The lock a run folder holds while a run writes it: `.latentlab.lock`.

The file (created with O_EXCL, never through a symbolic link) records who holds it: pid,
host and start time. Where `fcntl.flock` exists the holder also keeps an exclusive flock on
it; the kernel drops that when the process dies however it dies, so a free flock is a stale
lock, taken over at once. Without flock a lock is stale when its process is gone from this
host. Readers (`read_run`, following a run in the GUI) take no lock.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import socket
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: the pid check alone
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".latentlab.lock"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

log = logging.getLogger(__name__)
_held: set[RunLock] = set()
_held_lock = threading.Lock()


class RunLockedError(ValueError):
    """Another live process writes the run folder (one line naming it and the process)."""


def _holder_text(info: dict[str, Any]) -> str:
    pid, host = info.get("pid"), info.get("host")
    if not isinstance(pid, int):
        return "another process"
    where = f" on {host}" if isinstance(host, str) and host != socket.gethostname() else ""
    since = f" since {info['started']}" if isinstance(info.get("started"), str) else ""
    return f"process {pid}{where}{since}"


def _pid_alive(pid: int) -> bool:
    """Return True when process `pid` runs on this machine (True when unsure)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # query limited
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _read_info(fd: int) -> dict[str, Any]:
    """Return the lock file's record ({} when empty or not ours)."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096) or b"{}")
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _try_flock(fd: int) -> bool:
    """Return True when this descriptor now holds the exclusive flock (or flock is absent)."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True  # a file system without flock: the pid check decides
    return True


def _same_file(fd: int, path: Path) -> bool:
    """Return True when `path` still names the file open as `fd` (not removed, not replaced)."""
    try:
        a, b = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _open_lock_file(path: Path) -> tuple[int, bool] | None:
    """Return (descriptor, created) for the lock file, or None when it vanished meanwhile."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                       0o644), True
    except FileExistsError:
        pass
    try:
        return os.open(path, os.O_RDWR | _NOFOLLOW | _CLOEXEC), False
    except FileNotFoundError:
        return None
    except OSError as exc:
        if os.path.islink(path):
            raise ValueError(f"{path} is a symbolic link; refusing to write through it") \
                from exc
        raise


class RunLock:
    """The exclusive lock of one run folder; `acquire()` then `release()` (or `with`)."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Return True while this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> str | None:
        """Take the lock; return a note when it took over a dead process's lock, else None.

        Raises RunLockedError when a live process holds it.
        """
        if self._fd is not None:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(20):  # a holder releasing at this moment: try again
            opened = _open_lock_file(self.path)
            if opened is None:
                continue
            fd, created = opened
            try:
                note = self._claim(fd, created)
            except BaseException:
                os.close(fd)
                raise
            if note is None and not self.held:
                os.close(fd)
                continue
            return note or None
        raise RunLockedError(f"{self.folder} is in use: its lock {LOCK_NAME} keeps changing")

    def _claim(self, fd: int, created: bool) -> str | None:
        """Make `fd` ours if the lock is free or stale: return "" or a takeover note;
        None (not held) when the file was replaced meanwhile."""
        if not _try_flock(fd):
            raise RunLockedError(f"{self.folder} is in use by {_holder_text(_read_info(fd))}; "
                                 f"wait for it to end or stop it")
        if not _same_file(fd, self.path):
            return None  # released and made anew between our open and flock
        note = ""
        if not created:
            info = _read_info(fd)
            pid = info.get("pid")
            if fcntl is None and isinstance(pid, int) and (
                    info.get("host") != socket.gethostname() or _pid_alive(pid)):
                raise RunLockedError(f"{self.folder} is in use by {_holder_text(info)}; "
                                     f"wait for it to end or stop it")
            who = f"process {pid}" if isinstance(pid, int) else "a process"
            note = f"{self.folder}: took over the lock of {who}, which is no longer running"
        record = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(record) + "\n").encode())
        with contextlib.suppress(OSError):
            os.fsync(fd)
        self._fd = fd
        with _held_lock:
            _held.add(self)
        if note:
            log.warning(note)
        return note

    def release(self) -> None:
        """Remove the lock file and let go of the lock (safe to call twice)."""
        fd, self._fd = self._fd, None
        with _held_lock:
            _held.discard(self)
        if fd is None:
            return
        try:
            if _same_file(fd, self.path):  # removed while still holding the flock
                self.path.unlink(missing_ok=True)
        except OSError:
            pass  # a stale file is taken over by the next run
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def check_unlocked(folder: Path | str) -> None:
    """Raise RunLockedError if a live process holds `folder`'s lock; change nothing.

    A quick look before slow work (loading data); `RunLock.acquire` is what decides.
    """
    path = Path(folder) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return  # no lock (or no folder): acquire() reports anything odd
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                info = _read_info(fd)
                raise RunLockedError(f"{folder} is in use by {_holder_text(info)}; "
                                     f"wait for it to end or stop it") from None
            except OSError:
                return
            return  # free: closing the descriptor lets go at once
        info = _read_info(fd)
        pid = info.get("pid")
        if isinstance(pid, int) and (info.get("host") != socket.gethostname()
                                     or _pid_alive(pid)):
            raise RunLockedError(f"{folder} is in use by {_holder_text(info)}; "
                                 f"wait for it to end or stop it")
    finally:
        os.close(fd)


@atexit.register
def _release_all() -> None:
    """Release the locks still held when the interpreter exits (a run never closed)."""
    with _held_lock:
        locks = list(_held)
    for lock in locks:
        lock.release()
