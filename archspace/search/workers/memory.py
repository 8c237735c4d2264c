"""Memory of a process in MB, the same on every platform.

`resource.getrusage().ru_maxrss` is in kilobytes on Linux and the BSDs but in bytes on macOS,
and Windows has no `resource` module at all; /proc exists on Linux only. Every reading here is
converted to MB by what the platform reports, and a platform that reports nothing gives None
(the memory budget is then off, never a crash).
"""

from __future__ import annotations

import os
import sys

#: bytes per unit of ru_maxrss, by sys.platform prefix (default: kilobytes)
MAXRSS_UNIT = {"darwin": 1, "linux": 1024, "freebsd": 1024, "openbsd": 1024, "netbsd": 1024,
               "sunos": 1024, "aix": 1024}


def maxrss_mb(value: float, platform: str | None = None) -> float:
    """ru_maxrss as this platform reports it -> MB."""
    platform = platform or sys.platform
    unit = next((u for p, u in MAXRSS_UNIT.items() if platform.startswith(p)), 1024)
    return value * unit / 2**20


def _proc_status(key: str, pid: int | str = "self") -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024     # /proc says kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def peak_rss_mb() -> float | None:
    """The peak resident memory of this process so far, or None where it cannot be read."""
    value = _proc_status("VmHWM")
    if value is not None:
        return value
    try:
        import resource
    except ImportError:          # Windows
        return None
    return maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def rss_mb(pid: int | None = None) -> float | None:
    """The resident memory of a process now (default this one), or None where it cannot be
    read: /proc on Linux; elsewhere this process's peak (ru_maxrss), which only grows, so a
    budget on it errs on the side of recycling early."""
    value = _proc_status("VmRSS", pid or "self")
    if value is not None or (pid not in (None, os.getpid())):
        return value
    return peak_rss_mb()


__all__ = ["maxrss_mb", "peak_rss_mb", "rss_mb"]
