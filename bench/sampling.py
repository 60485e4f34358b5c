"""Sample a gateway worker with py-spy while load runs, and summarise where its time goes.

py-spy is not a project dependency: pass its path (`pip install py-spy` into any venv) to
`make bench BENCH_ARGS="--py-spy /path/to/py-spy"`. The raw folded stacks are kept next to the
results (feed them to flamegraph.pl or speedscope); the summary lists the frames with the most
samples of their own and the project's functions with the most samples under them.
"""
from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

SAMPLE_RATE = 200
PROJECT_DIRS = ("gateway/", "analytics/", "keys/", "accounts/", "gatewayproj/")


def start_sampling(py_spy: str, pid: int, seconds: float, out: Path) -> subprocess.Popen:
    """Start py-spy on `pid` for `seconds`; wait on the returned process before reading `out`."""
    cmd = [py_spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))), "--rate", str(SAMPLE_RATE),
           "--format", "raw", "--output", str(out), "--threads", "--nonblocking"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(folded: Path, top: int = 15) -> str:
    """Top frames by own samples, and project functions by inclusive samples, with shares."""
    own, inclusive, per_thread, total = Counter(), Counter(), Counter(), 0
    for line in folded.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = stack.split(";")
        total += samples
        per_thread[frames[0].split(": ", 1)[-1]] += samples
        own[frames[-1]] += samples
        for frame in set(frames[1:]):
            if any(f"({d}" in frame for d in PROJECT_DIRS):
                inclusive[frame] += samples
    if not total:
        return "py-spy recorded no samples."

    def lines(counter: Counter) -> str:
        return "\n".join(f"{n / total:6.1%}  {frame}" for frame, n in counter.most_common(top))

    threads = ", ".join(f"{name} {n / total:.0%}" for name, n in per_thread.most_common(6))
    return (f"{total} samples; by thread: {threads}\n\nOwn samples:\n{lines(own)}\n\n"
            f"Project functions, inclusive:\n{lines(inclusive)}")
