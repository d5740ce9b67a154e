"""The Python side of chapter 2: the real GIL, with threads that compute and
threads that wait. Run by `cargo course bench gil`; standard library only."""

import sys
import threading
import time

THREADS = 4


def crunch(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


# ANCHOR: threads
def on_threads(work, *args):
    threads = [threading.Thread(target=work, args=args) for _ in range(THREADS)]
    for t in threads:
        t.start()  # start them all first...
    for t in threads:
        t.join()  # ...then wait for them all
# ANCHOR_END: threads


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    n = 2_000_000
    group = "Python: CPU-bound crunch(2,000,000), split over 4 threads"
    print(f"BENCH\t{group}\tone thread (baseline)\t{median(3, lambda: crunch(n)):.6f}")
    print(f"BENCH\t{group}\t4 threads\t{median(3, lambda: on_threads(crunch, n // THREADS)):.6f}")
    gil = "without" if getattr(sys, "_is_gil_enabled", lambda: True)() is False else "with"
    interval_ms = sys.getswitchinterval() * 1000
    print(f"NOTE\t{group}\tPython {sys.version.split()[0]} {gil} its GIL, switch interval {interval_ms:.0f} ms")

    group = "Python: I/O-bound, 40 sleeps of 20 ms, split over 4 threads"

    def sleeps(k):
        for _ in range(k):
            time.sleep(0.02)

    print(f"BENCH\t{group}\tone thread (baseline)\t{median(3, lambda: sleeps(40)):.6f}")
    print(f"BENCH\t{group}\t4 threads\t{median(3, lambda: on_threads(sleeps, 10)):.6f}")


if __name__ == "__main__":
    main()
