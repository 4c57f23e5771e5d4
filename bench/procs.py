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


@dataclass
class Usage:
    cpu_seconds: float
    peak_rss_bytes: int


@dataclass
class Probe:
    """Measures named processes over one phase: CPU used between start and stop (and between any two readings of
    `cpu_now`), the highest RSS sampled. A process that has exited keeps the last figures read of it."""

    pids: dict[str, int]
    interval: float = 0.1
    _cpu_at_start: dict[str, float] = field(default_factory=dict)
    _cpu_last: dict[str, float] = field(default_factory=dict)
    _peak: dict[str, int] = field(default_factory=dict)
    _task: asyncio.Task | None = None

    def cpu_now(self) -> dict[str, float]:
        """Each process's CPU seconds so far."""
        for name, pid in self.pids.items():
            try:
                self._cpu_last[name] = cpu_seconds(pid)
            except OSError:
                pass
        return dict(self._cpu_last)

    def start(self) -> None:
        self._cpu_at_start = self.cpu_now()
        self._peak = {name: 0 for name in self.pids}
        self._sample_rss()
        self._task = asyncio.get_running_loop().create_task(self._sample())

    def _sample_rss(self) -> None:
        for name, pid in self.pids.items():
            try:
                self._peak[name] = max(self._peak[name], rss_bytes(pid))
            except OSError:
                pass

    async def _sample(self) -> None:
        while True:
            self._sample_rss()
            await asyncio.sleep(self.interval)

    async def stop(self) -> dict[str, Usage]:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._sample_rss()
        cpu = self.cpu_now()
        return {name: Usage(cpu.get(name, 0.0) - self._cpu_at_start.get(name, 0.0), self._peak[name])
                for name in self.pids}
