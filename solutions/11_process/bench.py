"""The Python side of chapter 11: what starting a worker process costs.

Run by `cargo course bench process`; prints lines in the course's bench
format. Standard library only.
"""

import multiprocessing
import os
import threading
import time


def square(n, answers):
    answers.put(n * n)


# ANCHOR: start_join
def work(seconds):
    time.sleep(seconds)


def start_two():
    first = multiprocessing.Process(target=work, args=(1.0,))
    second = multiprocessing.Process(target=work, args=(0.5,))
    first.start()
    second.start()  # both run now: start them all...
    first.join()
    second.join()  # ...then wait for them all
    return first.exitcode, second.exitcode
# ANCHOR_END: start_join


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def with_process(context):
    def run():
        answers = context.SimpleQueue()
        worker = context.Process(target=square, args=(12, answers))
        worker.start()
        assert answers.get() == 144
        worker.join()
    return run


def with_thread():
    answers = []
    worker = threading.Thread(target=lambda: answers.append(12 * 12))
    worker.start()
    worker.join()
    assert answers == [144]


def main():
    group = "start a worker, hand it a job, wait for the answer (Python)"
    fork = multiprocessing.get_context("fork")
    spawn = multiprocessing.get_context("spawn")
    rows = [
        ("process: Process start + join (fork)", with_process(fork), 21),
        ("process: Process start + join (spawn)", with_process(spawn), 5),
        ("thread: Thread start + join", with_thread, 21),
    ]
    for label, run, runs in rows:
        print(f"BENCH\t{group}\t{label}\t{median(runs, run):.6f}")

    group = "how many workers (Python)"
    print(f"VALUE\t{group}\tos.cpu_count()\t{os.cpu_count()}\tCPUs in the machine")
    usable = len(os.sched_getaffinity(0))
    label = "len(os.sched_getaffinity(0))"
    print(f"VALUE\t{group}\t{label}\t{usable}\tCPUs this process may use")


# The guard: a child started with "spawn" (or "forkserver") imports this file
# again, as a module that is not "__main__", so it skips this block.
if __name__ == "__main__":
    main()
