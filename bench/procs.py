"""What each process of the system costs: CPU seconds and resident memory, read from /proc (Linux)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES


def peak_rss_bytes(pid: int) -> int:
    """The process's high-water mark of resident memory since it started (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return rss_bytes(pid)


@dataclass
class Usage:
    cpu_seconds: float
    peak_rss_bytes: int


@dataclass
class Probe:
    """Measures named processes over one phase: CPU used between start and stop, the highest RSS sampled."""

    pids: dict[str, int]
    interval: float = 0.1
    _cpu_at_start: dict[str, float] = field(default_factory=dict)
    _peak: dict[str, int] = field(default_factory=dict)
    _task: asyncio.Task | None = None

    def start(self) -> None:
        self._cpu_at_start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._peak = {name: rss_bytes(pid) for name, pid in self.pids.items()}
        self._task = asyncio.get_running_loop().create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            for name, pid in self.pids.items():
                self._peak[name] = max(self._peak[name], rss_bytes(pid))
            await asyncio.sleep(self.interval)

    async def stop(self) -> dict[str, Usage]:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        return {name: Usage(cpu_seconds(pid) - self._cpu_at_start[name], max(self._peak[name], rss_bytes(pid)))
                for name, pid in self.pids.items()}
