"""A lifeline to the command that started the work: a process ends when that command is gone.

``make figures`` runs each notebook in a kernel that Jupyter starts in a session of its own, so
Ctrl-C in the terminal (SIGINT to the terminal's process group) or SIGTERM to ``make`` reaches
``make`` and papermill but never the kernel, nor the workers of a sweep the kernel started: they
would train on for hours. The Makefile therefore exports :data:`ENV` holding its own process id;
every process that imports ``neurodream`` with it set (the kernel, each sweep worker) watches that
process and ends itself, with SIGKILL, within :data:`POLL_S` of its end. Finished runs are on disk;
a run cut short resumes from its last checkpoint (written atomically, every 50 games) and its lock
file is cleared as a killed writer's (:mod:`neurodream.run_lock`).
"""

from __future__ import annotations

import os
import signal
import threading
import time

ENV = "NEURODREAM_LIFELINE_PID"
"""The environment variable naming the process (its id) whose end ends this one."""
POLL_S = 0.5
"""How often (s) the watching thread looks whether that process is still there."""
_watched: set[int] = set()


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie, ended but not yet reaped, has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[-1][0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): ask the kernel whether the id exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def end_with(pid: int) -> bool:
    """From now on, end this process (SIGKILL) when process ``pid`` is gone: a daemon thread looks
    every :data:`POLL_S`. Returns False, doing nothing, when ``pid`` is this process, is already
    watched, or is not running now (an id left over in the environment)."""
    if pid == os.getpid() or pid in _watched or pid <= 1 or not alive(pid):
        return False
    _watched.add(pid)

    def watch():
        while alive(pid):
            time.sleep(POLL_S)
        end_now()

    threading.Thread(target=watch, name=f"end-with-{pid}", daemon=True).start()
    return True


def end_now() -> None:
    """End this process and its child processes (a kernel's sweep workers and resource trackers,
    which would otherwise outlive it), with SIGKILL."""
    me = os.getpid()
    for proc in os.listdir("/proc") if os.path.isdir("/proc") else []:
        try:
            with open(f"/proc/{proc}/stat") as f:
                if proc.isdigit() and int(f.read().rsplit(") ", 1)[-1].split()[1]) == me:
                    os.kill(int(proc), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            continue
    os.kill(me, signal.SIGKILL)


def from_environment() -> bool:
    """:func:`end_with` the process named by :data:`ENV`, when it is set to a process id. A process
    that starts after that one has ended (a sweep worker that a dying kernel replaced after make was
    interrupted) is an orphan of the interrupt: it ends at once."""
    value = os.environ.get(ENV, "")
    if not value.isdigit():
        return False
    pid = int(value)
    if 1 < pid != os.getpid() and not alive(pid):
        end_now()
    return end_with(pid)
