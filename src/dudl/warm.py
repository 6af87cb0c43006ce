"""Warm start for `dudl` jobs: with DUDL_WARM=1, a job's `dudl` process asks a server that has already imported
torch, matplotlib, seaborn and pandas to fork a copy of itself and run the command there, instead of importing
them again. That import is 3-4 s of every run job and 3 s of every figures job, most of a small job's time.

- The server imports third-party packages only, never `dudl`'s own modules (each job imports those afresh, so an
  edit is always seen), and nothing runs in it: no tensor op, no thread pool, no CUDA.
- The forked job gets the client's argv, working directory, environment, umask and standard streams (passed as
  file descriptors), so `> {log} 2>&1` and exit codes behave as in a fresh process.
- The client forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the job; if the client dies (SIGKILL, a lost
  Snakemake), the server kills the job's process group at once. A job killed by a signal makes the client die
  of the same signal.
- One server per interpreter and import-relevant environment (PYTHON*, OMP_*, MKL_*, KMP_*, TORCH*, MPL*, LD_*),
  in $XDG_RUNTIME_DIR or /tmp, private to the user; it exits after DUDL_WARM_IDLE seconds (default 120) idle.
- Where the server cannot be had, the command runs cold, in this process, and says so on stderr.

Off by default: Snakemake's benchmark files and a scheduler's accounting measure the client, not the forked job,
so their memory columns are meaningless with it. `make quick` and the end-to-end tests turn it on; a fresh
process and a warm one give bit-identical results (tests/test_warm.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time
from pathlib import Path

# What jobs import that is slow to import; a missing one is skipped.
PRELOAD = ("numpy", "yaml", "pydantic", "pandas", "torch", "torch.nn", "torch.optim", "torch.utils.data",
           "torchvision", "matplotlib", "matplotlib.pyplot", "seaborn", "scipy.stats", "sklearn.metrics")
ENV_PREFIXES = ("PYTHON", "OMP_", "MKL_", "KMP_", "TORCH", "MPL", "LD_", "OPENBLAS")
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
START_TIMEOUT = 120.0


class Unavailable(RuntimeError):
    """No server could be reached or started: run cold."""


def enabled() -> bool:
    return os.environ.get("DUDL_WARM", "0").strip().lower() not in ("", "0", "false", "no", "off")


def server_key() -> str:
    """Servers are shared only by clients that a fresh process would treat alike."""
    import importlib.util

    here = Path(__file__).resolve()
    files = [here, here.parent / "__init__.py"]
    for name in {name.partition(".")[0] for name in PRELOAD}:  # a package upgraded since: a new server
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            files.append(Path(spec.origin))
    stamps = [(p, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(files)]
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIXES))
    text = json.dumps([sys.executable, sys.version, [str(s) for s in stamps], env, os.getuid()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def runtime_dir() -> Path:
    base = os.environ.get("DUDL_WARM_DIR") or os.environ.get("XDG_RUNTIME_DIR") or "/tmp"
    path = Path(base) / f"dudl-warm-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise Unavailable(f"{path} is not private to this user")
    return path


# ---------------------------------------------------------------------------------------------------- client


def main() -> int:
    """The `dudl` console script."""
    if enabled():
        try:
            conn = connect()
            submit(conn)
            if conn.recv(1) != b"A":  # no job started: the server was exiting, or refused it
                raise Unavailable("the server hung up before it started the job")
        except (Unavailable, OSError) as err:
            print(f"dudl: warm start unavailable ({err}); running cold", file=sys.stderr)
        else:
            wait_for_job(conn)  # does not return
    from dudl.cli import main as cold_main

    return cold_main()


def connect() -> socket.socket:
    """A connection to a ready server, started here if none runs; several clients starting at once start one."""
    import fcntl

    folder = runtime_dir()
    key = server_key()
    sock_path, lock_path = folder / f"{key}.sock", folder / f"{key}.lock"
    try:
        return dial(sock_path)
    except OSError:
        pass
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return dial(sock_path)  # another client started it while this one waited
        except OSError:
            sock_path.unlink(missing_ok=True)  # a server that died
        log = folder / f"{key}.log"
        server = spawn_server(sock_path, log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and server.poll() is None:
            try:
                return dial(sock_path)
            except OSError:
                time.sleep(0.05)
        raise Unavailable(f"the server did not start (see {log})")


def dial(path: Path) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        raise
    return conn


def spawn_server(sock_path: Path, log_path: Path):
    """Detached (its own session, stdio to a log) so that no job's process group or terminal reaches it."""
    import subprocess

    with open(log_path, "ab") as log:
        # -P: no working directory on the import path, so that the preloads are the installed packages
        return subprocess.Popen([sys.executable, "-P", "-m", "dudl.warm", "serve", str(sock_path)], cwd="/",
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                close_fds=True)


def submit(conn: socket.socket) -> None:
    """The job: this process's argv, import path, directory, environment, umask and standard streams."""
    mask = os.umask(0)
    os.umask(mask)
    request = json.dumps({"argv": sys.argv, "path": sys.path, "cwd": os.getcwd(), "env": dict(os.environ),
                          "umask": mask}).encode()
    conn.sendall(struct.pack("!I", len(request)))
    socket.send_fds(conn, [request], [0, 1, 2])


def wait_for_job(conn: socket.socket) -> None:
    for sig in FORWARDED:
        signal.signal(sig, lambda signum, _frame: conn.send(b"S" + bytes([signum])))
    reply = b""
    while len(reply) < 4:
        chunk = conn.recv(4 - len(reply))
        if not chunk:
            raise SystemExit("dudl: the warm server went away before the job finished")
        reply += chunk
    status = struct.unpack("!i", reply)[0]
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    sys.exit(os.waitstatus_to_exitcode(status))


# ---------------------------------------------------------------------------------------------------- server


def serve(sock_path: Path, idle: float) -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception as err:  # noqa: BLE001 - a missing extra only costs its job the import
            print(f"preload {name}: {err}", flush=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    staging = sock_path.with_suffix(f".{os.getpid()}")
    listener.bind(str(staging))
    listener.listen(64)
    os.replace(staging, sock_path)  # published only once the imports are done
    me = sock_path.stat().st_ino
    print(f"{time.ctime()}: serving on {sock_path} (pid {os.getpid()})", flush=True)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    jobs: dict[int, tuple[socket.socket, int, int]] = {}  # pidfd -> (connection, pid, pgid)
    last_busy = time.monotonic()
    while True:
        for event, _ in sel.select(timeout=1.0):
            kind = event.data
            if kind == "accept":
                try:
                    conn, _ = listener.accept()
                    pid = start_job(conn, listener, [c for c, _, _ in jobs.values()])
                except Exception as err:  # noqa: BLE001 - one bad request must not take the server down
                    print(f"{time.ctime()}: refused a job: {err!r}", flush=True)
                    continue
                pidfd = os.pidfd_open(pid)
                jobs[pidfd] = (conn, pid, pid)
                sel.register(pidfd, selectors.EVENT_READ, ("exit", pidfd))
                sel.register(conn, selectors.EVENT_READ, ("client", pidfd))
            elif kind[0] == "client":
                conn, _, pgid = jobs[kind[1]]
                try:
                    message = conn.recv(2)
                except OSError:
                    message = b""
                signum = message[1] if len(message) == 2 and message[:1] == b"S" else signal.SIGKILL
                if not message:
                    sel.unregister(conn)  # the client is gone: nothing more to read from it
                with_process_group(pgid, signum)
            else:
                pidfd = kind[1]
                conn, pid, pgid = jobs.pop(pidfd)
                _, status = os.waitpid(pid, 0)
                with_process_group(pgid, signal.SIGKILL)  # what the job left running dies with it
                sel.unregister(pidfd)
                os.close(pidfd)
                try:
                    sel.unregister(conn)
                except (KeyError, ValueError):
                    pass
                try:
                    conn.sendall(struct.pack("!i", status))
                except OSError:
                    pass
                conn.close()
        if jobs:
            last_busy = time.monotonic()
        elif time.monotonic() - last_busy > idle or not still_published(sock_path, me):
            break
    if still_published(sock_path, me):
        sock_path.unlink(missing_ok=True)
    print(f"{time.ctime()}: idle, exiting", flush=True)


def still_published(sock_path: Path, inode: int) -> bool:
    try:
        return sock_path.stat().st_ino == inode
    except OSError:
        return False


def with_process_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def start_job(conn: socket.socket, listener: socket.socket, others: list[socket.socket]) -> int:
    conn.settimeout(10)
    size = struct.unpack("!I", recv_exactly(conn, 4))[0]
    request, fds, _, _ = socket.recv_fds(conn, size, 3)
    while len(request) < size:
        request += recv_exactly(conn, size - len(request))
    conn.settimeout(None)
    if len(fds) != 3:
        raise ValueError(f"expected 3 file descriptors, got {len(fds)}")
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        conn.sendall(b"A")  # started: from here on the client waits for the job, it does not run it cold
        return pid
    # The job: from here on, as a fresh `dudl` process would be.
    code = 1
    try:
        os.setpgid(0, 0)
        die_with_parent()
        listener.close()
        for other in others:
            other.close()
        conn.close()  # the server keeps its copy: the job must not hold a client's connection open
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        job = json.loads(request)
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        os.umask(job["umask"])
        sys.argv = job["argv"]
        sys.path[:] = job["path"]
        sys.stdout.reconfigure(line_buffering=os.isatty(1))
        code = run_cli()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def die_with_parent() -> None:
    """A job whose server dies (and so whose client can no longer be told) is killed, not left running."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_cli() -> int:
    import atexit
    import random
    import traceback

    random.seed()  # fresh entropy, as a new interpreter has; the seeded generators are the runs' own
    try:
        from dudl.cli import main as cli_main

        code = cli_main() or 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        traceback.print_exc()
        code = 128 + signal.SIGINT
    except BaseException:  # noqa: BLE001 - printed as an uncaught exception would be
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    return code


def recv_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the client hung up")
        data += chunk
    return data


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(Path(sys.argv[2]), float(os.environ.get("DUDL_WARM_IDLE", "120")))
    else:
        raise SystemExit("usage: python -m dudl.warm serve SOCKET  (started by `dudl` itself under DUDL_WARM=1)")
