"""The Python side of chapter 4: CPU-bound crunch on threads and on processes.

Run by `cargo course bench scoped`; prints lines in the course's bench format.
Standard library only.
"""

import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

SQUARES = 40_000_000  # the articles' crunch(10_000_000), four times


def crunch(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def crunch_all(jobs):
    return sum(crunch(n) for n in jobs)


# ANCHOR: split
def split(jobs, parts):
    """Cuts a list into at most `parts` chunks; each slice is a new list."""
    size = -(-len(jobs) // parts)  # ceiling division
    return [jobs[i : i + size] for i in range(0, len(jobs), size)]
# ANCHOR_END: split


# ANCHOR: pools
def on_threads(jobs, cores):
    with ThreadPoolExecutor(max_workers=cores) as pool:
        return sum(pool.map(crunch_all, split(jobs, cores)))


def on_processes(jobs, cores):
    with ProcessPoolExecutor(max_workers=cores) as pool:  # chunks are pickled
        return sum(pool.map(crunch_all, split(jobs, cores)))
# ANCHOR_END: pools


def median(runs, work, expected):
    """The median wall time of `runs` runs (no warm-up: each run is seconds
    long), checking that every run computed `expected`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        value = work()
        times.append(time.perf_counter() - start)
        assert value == expected, (value, expected)
    return sorted(times)[len(times) // 2]


def cores_available():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def main():
    cores = cores_available()
    jobs = [SQUARES // (4 * cores)] * (4 * cores)
    expected = sum(n * (n - 1) * (2 * n - 1) // 6 for n in jobs)
    group = "crunch: 40,000,000 squares, Python"
    runs = [
        ("one thread", lambda: crunch_all(jobs)),
        (f"ThreadPoolExecutor, {cores} threads", lambda: on_threads(jobs, cores)),
        (
            f"ProcessPoolExecutor, {cores} processes",
            lambda: on_processes(jobs, cores),
        ),
    ]
    for label, work in runs:
        seconds = median(3, work, expected)
        print(f"BENCH\t{group}\t{label}\t{seconds:.6f}", flush=True)


if __name__ == "__main__":
    main()
