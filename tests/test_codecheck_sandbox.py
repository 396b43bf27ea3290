"""Hostile submissions are contained: each gets its own verdict and the rest go on.

Two layers are tested apart: with the audit hook (the verdicts a teacher reads) and without it
(the bubblewrap sandbox and the limits alone must still stop the act). Runs as in CI: needs
`bwrap` (Debian package bubblewrap), `prlimit` and `setpriv` (util-linux).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from symbptt.codecheck import sandbox, worker
from symbptt.codecheck.judge import judge_file

CORPUS = Path(__file__).parent / "code_corpus"
FAST = sandbox.Limits(wall=1.5)


def test_the_sandbox_starts_here():
    assert sandbox.available() is None


def hostile(name: str, tmp_path: Path) -> str:
    """A copy of the corpus file with the grader's folder (tmp_path) written in."""
    text = (CORPUS / name).read_text().replace("__GRADER_DIR__", str(tmp_path))
    sub = tmp_path / "submissions"
    sub.mkdir(exist_ok=True)
    (sub / name).write_text(text)
    return str(sub / name)


@pytest.mark.parametrize(
    "name,reason",
    [
        pytest.param("hostile_loop.py", "killed: time limit", marks=pytest.mark.slow),
        pytest.param("hostile_memory.py", "killed: memory limit", marks=pytest.mark.slow),
        ("hostile_fork.py", "killed: ran a program"),
        ("hostile_print.py", "killed: output limit"),
        ("hostile_read.py", "killed: file access ('/etc/passwd'"),
        ("hostile_write.py", "killed: file access"),
        ("hostile_socket.py", "killed: network"),
        ("hostile_system.py", "killed: ran a program (os.system)"),
        ("hostile_exit.py", "killed: the process ended before answering"),
        ("hostile_listdir.py", "killed: file access (os.listdir)"),
    ],
)
def test_hostile_function_is_killed_and_the_others_are_judged(name, reason, tmp_path):
    # filling memory page by page is slow on a busy machine: the memory hog gets more time
    limits = sandbox.Limits(wall=8) if name == "hostile_memory.py" else FAST
    r = judge_file(hostile(name, tmp_path), api="cs231n", limits=limits, trusted=False)
    v = {f.name: f for f in r.functions}
    assert v["rnn_forward"].verdict == "killed"
    assert v["rnn_forward"].reason.startswith(reason), v["rnn_forward"].reason
    # rnn_backward needs the student's rnn_forward for its cache: killed with the same reason
    assert v["rnn_backward"].verdict == "killed"
    assert v["rnn_step_forward"].verdict == "correct"
    assert v["rnn_step_backward"].verdict == "correct"
    assert not (tmp_path / "pwned.txt").exists()


@pytest.mark.slow
def test_a_file_that_loops_while_loading_is_killed_everywhere():
    r = judge_file(str(CORPUS / "hostile_toplevel.py"), api=None, limits=FAST, trusted=False)
    assert {f.verdict for f in r.functions} == {"killed"}
    assert r.functions[0].reason.startswith("killed: time limit (while loading the file)")


# --------------------------------------------------------------------------- without the hook


def probe(body: str, limits: sandbox.Limits = FAST, audit: bool = False):
    """Run `def probe(): <body>` in the sandbox with the audit hook off; (head, arrays, killed)."""
    src = "import numpy as np\nimport os\n\ndef probe():\n" + "\n".join(
        "    " + line for line in body.strip().splitlines()
    )
    calls = [{"id": 0, "fn": "probe", "args": [], "send": [{"name": "r", "path": []}]}]
    req = worker.json_frame(
        {"source": src, "filename": "student.py", "calls": calls, "audit": audit}
    )
    out = sandbox.run(req, limits, trusted=False, expect=2)
    if out.killed:
        return None, [], out.killed
    head, arrays = out.responses[1]
    return head, arrays, None


def test_no_hook_reading_the_system_password_file_fails():
    head, _, _ = probe("return np.frombuffer(open('/etc/passwd', 'rb').read(), dtype=np.uint8)")
    assert head["status"] == "error"
    assert "Error" in head["message"]


def test_no_hook_the_graders_files_and_other_submissions_are_not_there(tmp_path):
    (tmp_path / "secret.txt").write_text("the answers")
    other = tmp_path / "other_student.py"
    other.write_text("x = 1")
    for body in (f"open({str(tmp_path / 'secret.txt')!r}).read()", f"os.listdir({str(tmp_path)!r})",
                 f"open({str(other)!r}).read()", "os.listdir('/work')"):  # fmt: skip
        head, _, _ = probe(body + "\nreturn np.zeros(1)")
        assert head["status"] == "error" and "FileNotFoundError" in head["message"], body


def test_no_hook_writing_the_graders_folder_fails_and_leaves_nothing(tmp_path):
    target = tmp_path / "pwned.txt"
    head, _, _ = probe(f"open({str(target)!r}, 'w').write('pwned')\nreturn np.zeros(1)")
    assert head["status"] == "error"
    assert not target.exists()


def test_no_hook_a_shell_command_cannot_reach_the_grader(tmp_path):
    target = tmp_path / "pwned.txt"
    head, arrays, _ = probe(f"return np.array([os.system('echo pwned > {target}')])")
    assert head["status"] == "ok" and arrays[0][0] != 0
    assert not target.exists()


def test_no_hook_there_is_no_network():
    head, _, _ = probe(
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
        "s.settimeout(2)\n"
        "s.connect(('1.1.1.1', 53))\n"
        "return np.zeros(1)"
    )
    assert head["status"] == "error" and "OSError" in head["message"], head


def test_no_hook_the_process_count_is_limited_and_nothing_outlives_the_sandbox():
    head, arrays, killed = probe(
        "import time\n"
        "n = 0\n"
        "for i in range(200):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        break\n"
        "    if pid == 0:\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "    n += 1\n"
        "return np.array([n])",
        limits=sandbox.Limits(wall=10),
    )
    assert killed is None and head["status"] == "ok", (head, killed)
    assert 0 < arrays[0][0] < sandbox.Limits().nproc
    deadline = time.monotonic() + 5  # the kernel tears the pid namespace down asynchronously
    while (left := sandboxed_processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left


def sandboxed_processes() -> list[str]:
    """Live processes (not zombies) of the sandboxes' uids."""
    left = []
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and os.stat(f"/proc/{d}").st_uid >= 200000:
                if " Z " not in Path(f"/proc/{d}/stat").read_text().split(")", 1)[1][:4]:
                    left.append(d)
        except OSError:
            pass
    return left


def test_no_hook_memory_is_limited():
    _, _, killed = probe("a = np.ones(1 << 30)\nreturn a[:1]")
    assert killed == "killed: memory limit"


@pytest.mark.slow
def test_no_hook_cpu_time_is_limited():
    _, _, killed = probe("while True:\n    pass", limits=sandbox.Limits(wall=30, cpu=1))
    assert killed == "killed: time limit (CPU seconds)"


def test_no_hook_unprivileged_alone_and_nothing_written():
    head, arrays, _ = probe(
        "caps = [l for l in open('/proc/self/status') if l.startswith('CapEff')][0]\n"
        "pids = [d for d in os.listdir('/proc') if d.isdigit()]\n"
        "try:\n"
        "    with open('/tmp/x', 'w') as f:\n"
        "        f.write('data')\n"
        "    wrote = 1\n"
        "except OSError:\n"
        "    wrote = 0\n"
        "return np.array([os.getuid(), int(caps.split()[1], 16), len(pids), wrote])"
    )
    uid, caps, npids, wrote = arrays[0]
    assert uid != 0 and caps == 0 and npids <= 3 and wrote == 0


# --------------------------------------------------------------------------- the protocol


def test_the_grader_never_unpickles_what_the_sandbox_sends():
    blob = worker.array_frame(np.zeros(2))[8:]
    assert worker.load_array(blob).tolist() == [0.0, 0.0]
    import io
    import pickle

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        worker.load_array(buf.getvalue())
    reader = sandbox._Reader()
    head = worker.json_frame({"id": 0, "status": "ok", "outputs": [{"name": "r", "ok": True}]})
    with pytest.raises(ValueError):
        reader.feed(head + worker.frame(buf.getvalue()))
    with pytest.raises(ValueError):  # a pickle in place of the JSON head is not JSON
        sandbox._Reader().feed(worker.frame(pickle.dumps({"id": 0})))


def test_a_returned_object_is_an_output_error_not_a_pickle():
    head, _, _ = probe("return [object()]", audit=True)
    assert head["outputs"][0]["ok"] is False
    assert "not a numeric array" in head["outputs"][0]["message"]


def test_bwrap_is_on_the_test_install_line():
    text = (Path(__file__).parent.parent / "scripts" / "install-test-deps").read_text()
    assert "bubblewrap" in text and shutil.which("bwrap")


def test_forged_frames_on_the_answer_pipe_are_refused_not_unpickled():
    import pickle

    blob = pickle.dumps({"id": 0, "status": "ok"})
    forged = len(blob).to_bytes(8, "little") + blob
    _, _, killed = probe(f"os.write(3, {forged!r})\nreturn np.zeros(1)", audit=True)
    assert killed is not None and killed.startswith("killed: unreadable answer")
    fake = b'{"id": 0, "status": "ok", "outputs": 5}'
    forged = len(fake).to_bytes(8, "little") + fake
    _, _, killed = probe(f"os.write(3, {forged!r})\nreturn np.zeros(1)", audit=True)
    assert killed is not None and killed.startswith("killed: unreadable answer")


def _python_under_tmp() -> int:
    """1 when the Python the sandbox runs lives under /tmp (a venv there is bound read-only
    into the sandbox's /tmp, so its first folder shows up there), else 0."""
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.executable)}
    return len({Path(r).parts[2] for r in roots if Path(r).parts[1:2] == ("tmp",)})


def test_home_is_private_and_empty():
    head, arrays, _ = probe(
        "return np.array([len(os.listdir(os.environ['HOME'])), len(os.listdir('/tmp'))])"
    )
    assert head["status"] == "ok" and arrays[0].tolist() == [0, _python_under_tmp()]
