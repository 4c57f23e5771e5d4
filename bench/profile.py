"""Where a service's CPU goes under load: py-spy samples the running process (no restart, no code change) during
a phase, and the collapsed stacks are summed into the functions with the most time inclusive of their callees.

    python -m bench --profile        # also writes var/bench/profiles/<scenario>-<service>.{txt,svg}
    python -m bench.profile FILE.txt # prints the summary of a recorded profile again
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")


def record(pid: int, out: Path, seconds: int) -> list[subprocess.Popen]:
    """Start sampling `pid` for `seconds`: a raw collapsed-stack file to read, and a flame graph to look at. Only
    the thread holding the GIL is sampled (--gil): the Python work that uses the CPU, not the threads waiting."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
                              "--nonblocking", "--gil", "--format", fmt, "--output", str(out.with_suffix(suffix))],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for fmt, suffix in (("raw", ".txt"), ("flamegraph", ".svg"))]


def _frame(frame: str) -> str:
    """'function (path/to/module.py:12)' -> 'module.py:function': the line number varies within a function."""
    name, _, where = frame.partition(" (")
    return f"{Path(where.rsplit(':', 1)[0]).name}:{name}"


# Leaves where a thread waits instead of working: the event loop's poll, a worker thread's queue.
IDLE_LEAVES = ("selectors.py:EpollSelector.select", "core.py:_connection_worker_thread", "threading.py:Condition.wait",
               "thread.py:_worker", "base_events.py:BaseSelectorEventLoop._read_from_self")


def summary(path: Path, top: int = 25) -> str:
    """The busy samples (waiting leaves left out): the frames with most time inclusive of their callees, except
    the trunk every stack shares, and the frames with most time of their own."""
    inclusive, own, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples, frames = int(count), [_frame(f) for f in stack.split(";")]
        if frames[-1] in IDLE_LEAVES:
            continue
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    if not total:
        return f"{path.name}: no samples"
    branches = [(frame, n) for frame, n in inclusive.most_common() if n < 0.6 * total][:top]
    lines = [f"{path.name}: {total} busy samples; inclusive % (own %)"]
    lines += [f"  {100 * n / total:5.1f} ({100 * own[frame] / total:4.1f})  {frame}" for frame, n in branches]
    lines += ["  most time of their own:"]
    lines += [f"  {100 * n / total:5.1f}  {frame}" for frame, n in own.most_common(top // 2)]
    return "\n".join(lines)


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(summary(Path(argument)))
