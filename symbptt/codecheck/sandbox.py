"""Run one submission's worker in its own process: under bubblewrap, with limits, data by pipes.

The sandbox: no network, a read-only view of the system and of the Python installation only,
an empty private /tmp and home, its own pid namespace, no capabilities, a uid of its own
(so RLIMIT_NPROC counts only its processes), and CPU-time, memory, process-count, file-size
(0: nothing can be written) and output limits; the wall clock is watched per call here.
Where bubblewrap cannot start, `available()` says why and callers refuse unless trusted.
"""

from __future__ import annotations

import functools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from symbptt.codecheck import worker

__all__ = ["Limits", "Outcome", "available", "run"]

_WORKER_SOURCE = Path(worker.__file__).read_text(encoding="utf-8")
_HOME = "/home/student"
_MAX_STDOUT = 256 << 20  # bytes of answers from one process
_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": _HOME,
    "LANG": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class Limits:
    """Per-process limits; `wall` is seconds per call (and for loading the file)."""

    wall: float = 10.0
    cpu: int = 60
    memory: int = 512 << 20
    nproc: int = 16
    output: int = 1 << 20


@dataclass
class Outcome:
    """The worker's answers (head, arrays) in order, and why it was stopped, if it was."""

    responses: list[tuple[dict, list[np.ndarray]]] = field(default_factory=list)
    killed: str | None = None
    stderr_tail: str = ""


def _python() -> str:
    """This interpreter as started (a venv's python stays the venv's: its prefix is bound)."""
    return os.path.abspath(sys.executable)


def _numpy_site() -> str:
    return os.path.dirname(os.path.dirname(os.path.realpath(np.__file__)))


def _roots() -> list[str]:
    """Folders of the Python installation the worker needs (read-only), outermost only."""
    cands = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)} | {_numpy_site()}
    cands |= {os.path.abspath(p) for p in (sys.base_prefix, sys.prefix)}
    cands = {c for c in cands if not c.startswith("/usr/")}
    return sorted(c for c in cands if not any(c != o and c.startswith(o + os.sep) for o in cands))


def _bwrap_args(uid: int | None) -> list[str]:
    args = ["bwrap", "--ro-bind", "/usr", "/usr"]
    for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    # the private /tmp and home first: a Python installation under /tmp is bound over them
    args += ["--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/home",
             "--perms", "1777", "--dir", _HOME]  # fmt: skip
    made: set[str] = set()
    for root in _roots():
        parts = Path(root).parts
        for i in range(2, len(parts)):
            parent = str(Path(*parts[:i]))
            if (
                parent not in made
                and parent not in ("/tmp", "/home")
                and not parent.startswith("/usr")
            ):
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        args += ["--ro-bind", root, root]
    args += ["--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp",
             "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
             "--unshare-cgroup-try", "--new-session", "--die-with-parent", "--clearenv"]  # fmt: skip
    for k, v in _ENV.items():
        args += ["--setenv", k, v]
    if uid is None:  # unprivileged: a user namespace, mapped to nobody
        args += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--"]
    else:  # as root: keep only what setpriv needs to become an unprivileged uid of its own
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
        args += ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups",
                 "--inh-caps=-all", "--no-new-privs"]  # fmt: skip
    return args


def _own_processes() -> int:
    uid = os.getuid()
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                n += os.stat(f"/proc/{d}").st_uid == uid
            except OSError:
                pass
    return n


def command(limits: Limits, *, trusted: bool) -> list[str]:
    """The full command line: prlimit, then bwrap (unless trusted), then the worker."""
    root = os.geteuid() == 0
    nproc = limits.nproc if root else limits.nproc + _own_processes()
    lim = [f"--cpu={limits.cpu}", f"--as={limits.memory}", "--fsize=0", "--core=0", "--nofile=64"]
    if not trusted:
        lim.append(f"--nproc={nproc}")
    pre = ["prlimit", *lim, "--"]
    if not trusted:
        uid = 200000 + os.getpid() % 100000 if root else None
        pre += _bwrap_args(uid)
    # -I ignores PYTHONPATH: numpy's folder (bound read-only) is put on the path explicitly
    path = f"import sys; sys.path.insert(0, {_numpy_site()!r})\n"
    return [*pre, _python(), "-I", "-B", "-c", path + _WORKER_SOURCE]


@functools.lru_cache(maxsize=1)
def available() -> str | None:
    """None when the sandbox starts here; otherwise why not (probed once per process)."""
    for tool in ("bwrap", "prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install bubblewrap util-linux)"
    cmd = command(Limits(), trusted=False)
    cmd[-1] = cmd[-1].split("\n", 1)[0] + "\nimport numpy; print('ok')"
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=_ENV)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap did not start: {exc}"
    if r.returncode != 0 or r.stdout.strip() != "ok":
        return f"bubblewrap did not start: {(r.stderr or r.stdout).strip()[:300]}"
    return None


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    try:
        proc.stdin.write(data)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    except (BrokenPipeError, OSError):
        pass


def _why_ended(rc: int) -> str:
    """The verdict for a process that ended early: rc < 0 is our child's signal, and bwrap
    reports its child's signal as 128 + signal."""
    if rc < 0 or rc > 128:
        sig = -rc if rc < 0 else rc - 128
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return "killed: time limit (CPU seconds)"
        try:
            return f"killed: crashed ({signal.Signals(sig).name})"
        except ValueError:
            return f"killed: the process ended before answering (exit code {rc})"
    return f"killed: the process ended before answering (exit code {rc})"


_STATUSES = {"ok", "error", "missing", "killed"}


def _valid_head(head: object) -> bool:
    """The shape the worker writes; anything else came from the student, not from it."""
    if not isinstance(head, dict) or type(head.get("id")) is not int:
        return False
    if head.get("status") not in _STATUSES or not isinstance(head.get("message", ""), str):
        return False
    outs, mod, defined = head.get("outputs", []), head.get("modified", []), head.get("defined", [])
    if not (isinstance(outs, list) and isinstance(mod, list) and isinstance(defined, list)):
        return False
    ok_out = all(isinstance(o, dict) and isinstance(o.get("name"), str)
                 and isinstance(o.get("ok"), bool) and isinstance(o.get("message", ""), str)
                 for o in outs)  # fmt: skip
    return ok_out and all(isinstance(x, str) for x in (*mod, *defined))


class _Reader:
    """Turns the worker's frames into (head, arrays) responses."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.head: dict | None = None
        self.want = 0
        self.arrays: list[np.ndarray] = []

    def feed(self, data: bytes) -> list[tuple[dict, list[np.ndarray]]]:
        self.buf += data
        done = []
        for f in worker.split_frames(self.buf):
            if self.head is None:
                head = json.loads(f)
                if not _valid_head(head):
                    raise ValueError("a frame that is not a worker's answer")
                outs = head.get("outputs", [])
                self.head, self.arrays = head, []
                self.want = sum(1 for o in outs if o.get("ok")) if head.get("status") == "ok" else 0
            else:
                a = worker.load_array(f)
                if a.dtype.kind not in "biuf":
                    raise ValueError(f"array of dtype {a.dtype}")
                self.arrays.append(a)
                self.want -= 1
            if self.want == 0:
                done.append((self.head, self.arrays))
                self.head = None
        return done


def run(request: bytes, limits: Limits, *, trusted: bool, expect: int) -> Outcome:
    """Run the worker on `request`; stop it at the first limit; `expect` answers (load + calls)."""
    env = None if not trusted else {**_ENV, "HOME": os.environ.get("HOME", "/tmp")}
    proc = subprocess.Popen(
        command(limits, trusted=trusted),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env if trusted else _ENV,
    )
    feeder = threading.Thread(target=_feed, args=(proc, request), daemon=True)
    feeder.start()
    out = Outcome()
    reader, printed, tail, total_out = _Reader(), 0, bytearray(), 0
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
    sel.register(proc.stderr, selectors.EVENT_READ)  # type: ignore[arg-type]
    deadline = time.monotonic() + limits.wall
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                out.killed = "killed: time limit"
                break
            for key, _ in sel.select(left):
                data = os.read(key.fd, 1 << 16)
                if not data:
                    sel.unregister(key.fileobj)
                elif key.fileobj is proc.stderr:
                    printed += len(data)
                    tail = (tail + data)[-2000:]
                    if printed > limits.output:
                        out.killed = (
                            f"killed: output limit (printed more than {limits.output} bytes)"
                        )
                else:
                    total_out += len(data)
                    try:
                        got = reader.feed(data)
                    except (ValueError, OSError, TypeError, KeyError) as exc:
                        out.killed = f"killed: unreadable answer from the process ({exc})"[:200]
                        got = []
                    if total_out > _MAX_STDOUT:
                        out.killed = "killed: output limit (answers too large)"
                    if got:
                        out.responses += got
                        deadline = time.monotonic() + limits.wall
                if out.killed:
                    break
            if out.killed:
                break
    finally:
        sel.close()
        if out.killed:
            _kill(proc)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _kill(proc)
            rc = proc.wait()
        for s in (proc.stdout, proc.stderr):
            s.close()  # type: ignore[union-attr]
        feeder.join(timeout=1)
    out.stderr_tail = tail.decode("utf-8", "replace")
    if out.killed is None and out.responses and out.responses[-1][0].get("status") == "killed":
        out.killed = out.responses.pop()[0].get("message", "killed")
    elif out.killed is None and (rc != 0 or len(out.responses) < expect):
        out.killed = _why_ended(rc)
    return out
