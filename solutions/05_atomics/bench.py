"""The Python side of chapter 5: a shared counter with and without a lock.

Run by `cargo course bench atomics`; prints lines in the course's bench format.
Standard library only.
"""

import sys
import threading
import time

THREADS = 8
PER_THREAD = 100_000

# ANCHOR: racy
counter = 0


def count(times):
    global counter
    for _ in range(times):
        counter += 1  # read, add, write: three steps


def add_one(n):
    return n + 1


def count_through_a_call(times):
    global counter
    for _ in range(times):
        counter = add_one(counter)  # the same three steps, a call between
# ANCHOR_END: racy


# ANCHOR: locked
lock = threading.Lock()


def count_locked(times):
    global counter
    for _ in range(times):
        with lock:
            counter += 1
# ANCHOR_END: locked


# ANCHOR: event
def publish_and_wait():
    """One thread publishes a result; another waits for it, then reads it."""
    box = {}
    ready = threading.Event()

    def producer():
        box["answer"] = 42  # write the data first...
        ready.set()  # ...then raise the flag

    def consumer():
        ready.wait()  # set() before wait() returns: the data is there
        assert box["answer"] == 42

    threads = [threading.Thread(target=f) for f in (consumer, producer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
# ANCHOR_END: event


def run(target):
    """Runs target(PER_THREAD) on THREADS threads; returns seconds and count."""
    global counter
    counter = 0
    threads = [
        threading.Thread(target=target, args=(PER_THREAD,)) for _ in range(THREADS)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, counter


def median(values):
    return sorted(values)[len(values) // 2]


def main():
    publish_and_wait()
    expected = THREADS * PER_THREAD
    group = "Python: 8 threads × 100,000 increments of one counter"
    locked = [run(count_locked) for _ in range(3)]
    print(f"BENCH\t{group}\twith threading.Lock\t{median([t for t, _ in locked]):.6f}")
    for label, target in [
        ("counter += 1, no lock", count),
        ("counter = add_one(counter), no lock", count_through_a_call),
    ]:
        runs = [run(target) for _ in range(5)]
        print(f"BENCH\t{group}\t{label}\t{median([t for t, _ in runs]):.6f}")
        lost = sorted(expected - n for _, n in runs)
        print(f"VALUE\t{group}\t{label}: lost (median run)\t{median(lost)}\tof 800,000")
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    build = "with the GIL" if gil else "free-threaded (no GIL)"
    print(f"NOTE\t{group}\tthis Python ran {build}; neither build promises that an unlocked counter += 1 keeps every update")


if __name__ == "__main__":
    main()
