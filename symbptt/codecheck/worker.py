"""The program that runs a submission, inside the sandbox: numpy and the standard library only.

It reads one request from stdin (a JSON frame, then .npy frames), runs the student's source,
calls the student's functions and writes one JSON frame per call plus one .npy frame per array
output to the protocol pipe. Frames are an 8-byte length then the bytes; arrays go through
np.save / np.load with allow_pickle=False, so nothing the student returns is ever unpickled.
The grader imports this module only for the framing helpers; running it is `python -c SOURCE`.
An audit hook turns files, sockets, programs and ctypes into a "killed" report; the sandbox
(not this hook) is what contains a submission that gets past it.
"""

import builtins
import io
import json
import os
import struct
import sys
import traceback
import types
from typing import Any

import numpy as np

MAX_FRAME = 64 << 20  # bytes in one frame, either way
MAX_ELEMENTS = 10_000_000  # numbers in one returned array
_HEADER = struct.Struct("<Q")


# --------------------------------------------------------------------------- framing


def frame(data: bytes) -> bytes:
    """One frame: 8-byte little-endian length, then the bytes."""
    return _HEADER.pack(len(data)) + data


def json_frame(obj: Any) -> bytes:
    return frame(json.dumps(obj).encode())


def array_frame(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return frame(buf.getvalue())


def load_array(data: bytes) -> np.ndarray:
    """An array from a .npy frame; object arrays (pickles) are refused."""
    return np.load(io.BytesIO(data), allow_pickle=False)


def split_frames(buf: bytearray) -> list[bytes]:
    """Remove and return the complete frames at the front of buf; ValueError on a bad length."""
    out = []
    while len(buf) >= 8:
        (n,) = _HEADER.unpack_from(buf)
        if n > MAX_FRAME:
            raise ValueError(f"frame of {n} bytes")
        if len(buf) < 8 + n:
            break
        out.append(bytes(buf[8 : 8 + n]))
        del buf[: 8 + n]
    return out


# --------------------------------------------------------------------------- the sandbox side

_PROTO = -1
_CURRENT = [-1]
_PREFIXES: tuple[str, ...] = ()


def _send(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(_PROTO, view) :]


def _die(message: str) -> None:
    """Report a forbidden act for the current call and end the process at once."""
    try:
        _send(json_frame({"id": _CURRENT[0], "status": "killed", "message": message}))
    finally:
        os._exit(0)


_PROGRAMS = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
             "subprocess.Popen", "os.kill", "os.killpg", "pty.spawn"}  # fmt: skip
_FILES = {"os.listdir", "os.scandir", "os.remove", "os.rename", "os.mkdir", "os.rmdir",
          "os.chmod", "os.chown", "os.truncate", "os.link", "os.symlink", "os.utime",
          "os.chdir", "shutil.copyfile", "shutil.rmtree", "os.walk", "glob.glob"}  # fmt: skip


def _hook(event: str, args: tuple) -> None:
    if event == "open":
        path, mode = args[0], args[1]
        if isinstance(path, int):
            if path in (1, 2):  # print via an fd: goes to the output counter like print()
                return
            _die(f"killed: file access (fd {path})")
        p = os.fsdecode(path) if isinstance(path, str | bytes) else str(path)
        reading = mode is None or not any(c in str(mode) for c in "wax+")
        if reading and os.path.abspath(p).startswith(_PREFIXES):
            return  # importing a module of the Python installation
        _die(f"killed: file access ({p!r}, mode {mode!r})")
    elif event in _PROGRAMS:
        _die(f"killed: ran a program ({event})")
    elif event.startswith("socket."):
        _die(f"killed: network ({event})")
    elif event in _FILES:
        _die(f"killed: file access ({event})")
    elif event.startswith("ctypes."):
        _die(f"killed: used ctypes ({event})")


def _shims() -> None:
    """The helper modules the assignments import next to the graded file (rnn_utils)."""

    def softmax(x: Any) -> Any:
        e = np.exp(x - np.max(x))
        return e / e.sum(axis=0)

    def sigmoid(x: Any) -> Any:
        return 1 / (1 + np.exp(-x))

    mod = types.ModuleType("rnn_utils")
    mod.softmax, mod.sigmoid, mod.np = softmax, sigmoid, np  # type: ignore[attr-defined]
    sys.modules["rnn_utils"] = mod


def _error_text(exc: BaseException, filename: str) -> str:
    line = None  # walk_tb reads no source file (extract_tb would, and trip the audit hook)
    for fr, lineno in traceback.walk_tb(exc.__traceback__):
        if fr.f_code.co_filename == filename:
            line = lineno
    text = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, SyntaxError):
        return text  # its text names the line already
    return f"{text} (line {line})" if line else text


def _build(spec: Any, arrays: list[np.ndarray], saved: dict, fresh: list) -> Any:
    if "a" in spec:
        a = arrays[spec["a"]].copy()
        fresh.append((spec.get("n", "?"), a, arrays[spec["a"]]))
        return a
    if "d" in spec:
        return {k: _build(v, arrays, saved, fresh) for k, v in spec["d"].items()}
    if "t" in spec:
        return tuple(_build(v, arrays, saved, fresh) for v in spec["t"])
    if "l" in spec:
        return [_build(v, arrays, saved, fresh) for v in spec["l"]]
    if "r" in spec:
        call, path = spec["r"]
        if call not in saved:
            raise LookupError(f"needs the result of call {call}")
        return _follow(saved[call], path)
    raise ValueError(f"bad argument spec {spec}")


def _follow(value: Any, path: list) -> Any:
    for step in path:
        value = value[step]
    return value


def _changed(now: np.ndarray, before: np.ndarray) -> bool:
    try:
        return now.shape != before.shape or not np.array_equal(now, before, equal_nan=True)
    except Exception:  # noqa: BLE001 - a student could have replaced the buffer's dtype
        return True


def _run_call(call: dict, fns: dict, arrays: list, saved: dict, filename: str) -> None:
    _CURRENT[0] = call["id"]
    fn = fns.get(call["fn"])
    if fn is None:
        _send(json_frame({"id": call["id"], "status": "missing"}))
        return
    fresh: list = []
    try:
        args = [_build(s, arrays, saved, fresh) for s in call["args"]]
    except MemoryError:
        _die("killed: memory limit")
    except Exception as exc:  # noqa: BLE001 - a forward's result without the cache where expected
        msg = (
            f"the cache could not be taken from your forward's result: {type(exc).__name__}: {exc}"
        )
        _send(json_frame({"id": call["id"], "status": "error", "message": msg[:300]}))
        return
    try:
        value = fn(*args)
    except MemoryError:
        _die("killed: memory limit")
    except RecursionError as exc:
        _send(
            json_frame({"id": call["id"], "status": "error", "message": _error_text(exc, filename)})
        )
        return
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are the student's
        _send(
            json_frame({"id": call["id"], "status": "error", "message": _error_text(exc, filename)})
        )
        return
    if call.get("save"):
        saved[call["id"]] = value
    outputs, blobs = [], []
    for out in call["send"]:
        try:
            v = np.asarray(_follow(value, out["path"]))
            if v.dtype.kind not in "biuf":
                raise TypeError(f"not a numeric array (dtype {v.dtype})")
            if v.size > MAX_ELEMENTS:
                raise ValueError(f"{v.size} numbers")
            blobs.append(array_frame(np.ascontiguousarray(v)))
            outputs.append({"name": out["name"], "ok": True})
        except MemoryError:
            _die("killed: memory limit")
        except Exception as exc:  # noqa: BLE001 - whatever the student returned
            where = "".join(f"[{s!r}]" for s in out["path"])
            outputs.append({"name": out["name"], "ok": False,
                            "message": f"no {out['name']} at result{where}: {type(exc).__name__}: {exc}"[:300]})  # fmt: skip
    modified = [name for name, now, before in fresh if _changed(now, before)]
    head = {"id": call["id"], "status": "ok", "outputs": outputs, "modified": modified}
    _send(json_frame(head) + b"".join(blobs))


def main() -> None:
    """Read the request, run the source, answer every call; see the module docstring."""
    global _PROTO, _PREFIXES
    raw = sys.stdin.buffer.read()
    frames = split_frames(bytearray(raw))
    request = json.loads(frames[0])
    arrays = [load_array(f) for f in frames[1:]]
    _PROTO = os.dup(1)
    os.dup2(2, 1)  # the student's print() goes to stderr, which the grader counts and caps
    _shims()
    for name in ("copy", "math", "random", "functools", "builtins", "__future__"):
        __import__(name)  # modules a submission may import, loaded before the hook

    filename = request["filename"]
    prefixes = {os.path.abspath(p) + os.sep for p in (sys.prefix, sys.base_prefix)}
    prefixes |= {os.path.dirname(os.path.dirname(np.__file__)) + os.sep}
    _PREFIXES = tuple(prefixes)
    try:  # compiled before the hook: a SyntaxError looks for the file to quote the line
        code = compile(request["source"], filename, "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        _send(json_frame({"id": -1, "status": "error", "message": _error_text(exc, filename)}))
        return
    if request.get("audit", True):
        sys.addaudithook(_hook)
    module = types.ModuleType("student")
    module.__file__ = filename
    module.__dict__["__builtins__"] = builtins
    try:
        exec(code, module.__dict__)  # noqa: S102 - this process is the sandbox
    except MemoryError:
        _die("killed: memory limit")
    except BaseException as exc:  # noqa: BLE001
        _send(json_frame({"id": -1, "status": "error", "message": _error_text(exc, filename)}))
        return
    names = {c["fn"] for c in request["calls"]}
    fns = {n: module.__dict__[n] for n in names if callable(module.__dict__.get(n))}
    _send(json_frame({"id": -1, "status": "ok", "defined": sorted(fns)}))
    saved: dict = {}
    for call in request["calls"]:
        _run_call(call, fns, arrays, saved, filename)
    _CURRENT[0] = -2
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (and any atexit handler the student registered)


if __name__ == "__main__":
    main()
