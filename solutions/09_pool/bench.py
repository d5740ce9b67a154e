"""The Python side of chapter 9: ThreadPoolExecutor on the same work.

Run by `cargo course bench pool`; prints lines in the course's bench format.
`python3 bench.py demo` runs the executor examples the chapter shows instead.
Standard library only.
"""

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

TINY_TASKS = 10_000
CPU_TASKS = 16
CPU_TASK_SIZE = 200_000


def fetch(url):
    """Stands in for a download: waits a little, fails for a bad address."""
    time.sleep(len(url) / 1000)
    if not url.startswith("https://"):
        raise ValueError(f"unsupported address {url}")
    return len(url) * 1000


def demo():
    urls = ["https://example.com", "https://python.org", "bad://nowhere"]
    # ANCHOR: executor
    with ThreadPoolExecutor(max_workers=4) as pool:
        future = pool.submit(fetch, "https://example.com")
        print("one:", future.result())

        try:
            print("map:", list(pool.map(fetch, urls)))  # raises at the bad one
        except ValueError as error:
            print("map failed:", error)

        futures = {pool.submit(fetch, url): url for url in urls}
        for future in as_completed(futures):
            try:
                print(f"{futures[future]}: {future.result()}")
            except ValueError as error:
                print(f"{futures[future]} failed: {error}")
    # ANCHOR_END: executor

    # ANCHOR: swallowed
    def compute():  # takes no argument...
        return sum(i * i for i in range(10**6))

    with ThreadPoolExecutor() as pool:
        pool.map(compute, range(4))  # ...so all four calls raise TypeError,
    print("map finished, no error shown")  # and nobody reads the results
    # ANCHOR_END: swallowed

    # ANCHOR: bounded
    def submit_bounded(pool, slots, fn, *args):
        slots.acquire()  # waits while 16 tasks are queued or running
        future = pool.submit(fn, *args)
        future.add_done_callback(lambda _: slots.release())
        return future

    with ThreadPoolExecutor(max_workers=4) as pool:
        slots = threading.BoundedSemaphore(16)
        futures = [submit_bounded(pool, slots, fetch, url) for url in urls * 10]
    # ANCHOR_END: bounded
    print("bounded:", sum(1 for f in futures if f.exception() is None), "ok")


def tiny(i):
    return i * 31


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


def bench(group, label, seconds):
    print(f"BENCH\t{group}\t{label}\t{seconds:.6f}")


def thread_per_task():
    threads = [threading.Thread(target=tiny, args=(i,)) for i in range(TINY_TASKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main():
    cores = os.cpu_count() or 1
    group = "Python: 10,000 tiny tasks"
    bench(group, "a thread per task", median(3, thread_per_task))
    with ThreadPoolExecutor(max_workers=cores) as pool:
        def submit_then_result():
            futures = [pool.submit(tiny, i) for i in range(TINY_TASKS)]
            for future in futures:
                future.result()

        bench(group, f"ThreadPoolExecutor({cores}): submit, then result",
              median(3, submit_then_result))
        bench(group, f"ThreadPoolExecutor({cores}): map",
              median(3, lambda: list(pool.map(tiny, range(TINY_TASKS)))))
    bench(group, "no threads: a plain loop",
          median(3, lambda: [tiny(i) for i in range(TINY_TASKS)]))

    group = "Python: 16 CPU-bound tasks of crunch(200,000)"
    bench(group, "one thread",
          median(3, lambda: [crunch(CPU_TASK_SIZE) for _ in range(CPU_TASKS)]))
    with ThreadPoolExecutor(max_workers=cores) as pool:
        bench(group, f"ThreadPoolExecutor({cores})",
              median(3, lambda: list(pool.map(crunch, [CPU_TASK_SIZE] * CPU_TASKS))))
    print(f"NOTE\t{group}\tthe GIL lets one thread run Python code at a time: "
          f"threads do not speed up CPU-bound Python (a free-threaded 3.13t build can)")


if __name__ == "__main__":
    if sys.argv[1:] == ["demo"]:
        demo()
    else:
        main()
