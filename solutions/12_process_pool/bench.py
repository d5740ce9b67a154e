"""The Python side of chapter 12: what a process pool costs beside a thread
pool: starting it, each job, and each megabyte of argument.

Run by `cargo course bench process-pool`; prints lines in the course's bench
format. Standard library only.
"""

import multiprocessing
import pickle
import time
from concurrent.futures import (
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)

WORKERS = 4
JOBS = 1_000
NUMBERS = 131_072  # as 8-byte floats: 1 MiB


def square(n):
    return n * n


def echo(value):
    return value


# ANCHOR: pool_idiom
def squares_as_they_finish(numbers):
    with ProcessPoolExecutor(max_workers=4) as pool:
        futures = {pool.submit(square, n): n for n in numbers}
        for future in as_completed(futures):
            try:
                print(futures[future], "->", future.result())
            except Exception as error:  # raised by result(), not by submit()
                print(futures[future], "failed:", error)
# ANCHOR_END: pool_idiom


# ANCHOR: what_travels
def what_travels():
    # submit(square, 12) sends the function by name, not its code...
    message = pickle.dumps((square, (12,)))
    assert b"square" in message and b"n * n" not in message
    # ...so a function the worker cannot import by name cannot be sent.
    try:
        pickle.dumps(lambda n: n * n)
    except (pickle.PicklingError, AttributeError) as error:
        return message, error
# ANCHOR_END: what_travels


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def first_task(make_pool):
    def run():
        with make_pool() as pool:
            assert pool.submit(square, 12).result() == 144
    return run


def main():
    what_travels()

    group = "start a pool of 4 and run its first task (Python)"
    fork = multiprocessing.get_context("fork")
    spawn = multiprocessing.get_context("spawn")
    rows = [
        ("process pool (fork): first task", 11,
         lambda: ProcessPoolExecutor(WORKERS, mp_context=fork)),
        ("process pool (spawn): first task", 5,
         lambda: ProcessPoolExecutor(WORKERS, mp_context=spawn)),
        ("thread pool: first task", 11, lambda: ThreadPoolExecutor(WORKERS)),
    ]
    for label, runs, make_pool in rows:
        seconds = median(runs, first_task(make_pool))
        print(f"BENCH\t{group}\t{label}\t{seconds:.6f}")

    group = "1,000 tiny jobs on a running pool of 4 (Python)"
    numbers = list(range(JOBS))
    per_job = {}
    with ProcessPoolExecutor(WORKERS, mp_context=fork) as processes, \
            ThreadPoolExecutor(WORKERS) as threads:
        for label, pool in [("process pool: map(square)", processes),
                            ("thread pool: map(square)", threads)]:
            seconds = median(5, lambda: list(pool.map(square, numbers)))
            per_job[label] = seconds
            print(f"BENCH\t{group}\t{label}\t{seconds:.6f}")
        for label, seconds in per_job.items():
            label = label.split(":")[0] + ", per job"
            print(f"VALUE\t{group}\t{label}\t{seconds * 1e6 / JOBS:.3f}\tµs")

        group = "a 1 MiB argument: 131,072 floats (Python)"
        big = [i * 1.1 for i in range(NUMBERS)]
        rows = [
            ("process pool: there and back (echo)",
             lambda: processes.submit(echo, big).result()),
            ("pickle alone: dumps + loads, once",
             lambda: pickle.loads(pickle.dumps(big))),
            ("thread pool: there and back (a reference)",
             lambda: threads.submit(echo, big).result()),
        ]
        for label, work in rows:
            print(f"BENCH\t{group}\t{label}\t{median(11, work):.6f}")
        size = len(pickle.dumps(big)) / (1024 * 1024)
        print(f"VALUE\t{group}\tits size as a pickle\t{size:.3f}\tMiB")


# The guard: a worker started by "spawn" or "forkserver" imports this file
# again, as a module that is not "__main__", so it skips this block.
if __name__ == "__main__":
    main()
