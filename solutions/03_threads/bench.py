"""The Python side of chapter 3: ten waits, one after another and on threads.

Run by `cargo course bench threads`; prints lines in the course's bench
format. Standard library only.
"""

import threading
import time

WAITS = 10
WAIT = 0.1
STARTS = 1_000


def slow_io(seconds):
    time.sleep(seconds)


# ANCHOR: run_all
def run_all(tasks):
    """Runs each task on a thread of its own; returns, in the order of tasks,
    ("ok", value) or ("error", exception) for each."""
    results = [None] * len(tasks)

    def run(i, task):
        try:
            results[i] = ("ok", task())
        except Exception as err:  # a Thread would print it and lose it
            results[i] = ("error", err)

    threads = [
        threading.Thread(target=run, args=(i, task), name=f"task-{i}")
        for i, task in enumerate(tasks)
    ]
    for thread in threads:
        thread.start()  # start them all first...
    for thread in threads:
        thread.join()  # ...then wait for each, in order
    return results
# ANCHOR_END: run_all


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def one_after_another():
    for _ in range(WAITS):
        slow_io(WAIT)


def a_thread_each():
    results = run_all([lambda: slow_io(WAIT) for _ in range(WAITS)])
    assert all(kind == "ok" for kind, _ in results), results


def joined_inside_the_loop():
    for _ in range(WAITS):
        thread = threading.Thread(target=slow_io, args=(WAIT,))
        thread.start()
        thread.join()


def start_and_join():
    for _ in range(STARTS):
        thread = threading.Thread(target=lambda: None)
        thread.start()
        thread.join()


def main():
    # run_all keeps a failing task's exception and the others' values.
    results = run_all([lambda: 1, lambda: 1 / 0, lambda: 3])
    assert results[0] == ("ok", 1) and results[2] == ("ok", 3), results
    assert isinstance(results[1][1], ZeroDivisionError), results

    group = "ten 100 ms waits, Python"
    for label, work in [
        ("one after another", one_after_another),
        ("a thread each (run_all)", a_thread_each),
        ("a thread each, joined inside the loop", joined_inside_the_loop),
    ]:
        print(f"BENCH\t{group}\t{label}\t{median(3, work):.6f}")

    group = "starting and joining one thread"
    each = median(3, start_and_join) / STARTS
    label = "Python: Thread.start(), then join()"
    print(f"VALUE\t{group}\t{label}\t{each * 1e6:.1f}\tµs each")


if __name__ == "__main__":
    main()
