"""The Python side of chapter 1: time a function, wall clock against CPU clock.

Run by `cargo course bench waiting`; prints lines in the course's bench format.
Standard library only.
"""

import time


# ANCHOR: time_execution
def time_execution(work):
    """Runs work once; returns its value, wall seconds and CPU seconds."""
    wall, cpu = time.perf_counter(), time.thread_time()
    value = work()
    return value, time.perf_counter() - wall, time.thread_time() - cpu
# ANCHOR_END: time_execution


# ANCHOR: crunch
def crunch(n):
    total = 0
    for i in range(n):
        total += i * i
    return total
# ANCHOR_END: crunch


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    n = 10_000_000
    group = "crunch(10,000,000), one thread"
    print(f"BENCH\t{group}\tPython\t{median(3, lambda: crunch(n)):.6f}")

    group = "share of wall time spent on a CPU"
    _, wall, cpu = time_execution(lambda: crunch(n))
    print(f"VALUE\t{group}\tPython: crunch (working)\t{cpu / wall:.3f}\tof wall time")
    _, wall, cpu = time_execution(lambda: time.sleep(0.2))
    print(f"VALUE\t{group}\tPython: sleep 200 ms (waiting)\t{cpu / wall:.3f}\tof wall time")


if __name__ == "__main__":
    main()
