"""The Python side of chapter 7: queues between threads.

Run by `cargo course bench channels`; prints lines in the course's bench
format. Standard library only.
"""

import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

ITEMS = 50_000


# ANCHOR: fan_in
DONE = object()  # the sentinel: "this producer has finished"


def fan_in(producers):
    """Runs each producer on a thread; returns what they put, as it arrived."""
    q = queue.Queue()

    def run(produce):
        try:
            produce(q.put)
        finally:
            q.put(DONE)  # forget this, and the loop below waits forever

    threads = [threading.Thread(target=run, args=(p,)) for p in producers]
    for t in threads:
        t.start()
    items, running = [], len(threads)
    while running:
        item = q.get()
        if item is DONE:
            running -= 1
        else:
            items.append(item)
    for t in threads:
        t.join()
    return items
# ANCHOR_END: fan_in


def through(maxsize, items):
    """Moves `items` numbers from a producer thread to this one."""
    # ANCHOR: bounded
    q = queue.Queue(maxsize=maxsize)  # put() waits while maxsize items wait

    def produce():
        for i in range(items):
            q.put(i)
        q.put(DONE)

    producer = threading.Thread(target=produce)
    producer.start()
    count = 0
    while q.get() is not DONE:
        count += 1
    producer.join()
    # ANCHOR_END: bounded
    return count


def sleepy(seconds):
    time.sleep(seconds)
    return seconds


def arrival_order():
    # ANCHOR: as_completed
    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(sleepy, s) for s in (0.3, 0.1, 0.2)]
        order = [f.result() for f in as_completed(futures)]  # finishing order
    # ANCHOR_END: as_completed
    return order


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    group = f"Python: {ITEMS:,} items, one producer thread, one consumer"
    for label, maxsize in [
        ("queue.Queue() (unbounded)", 0),
        ("queue.Queue(maxsize=1024)", 1024),
        ("queue.Queue(maxsize=16)", 16),
        ("queue.Queue(maxsize=1)", 1),
    ]:
        seconds = median(3, lambda: through(maxsize, ITEMS))
        print(f"BENCH\t{group}\t{label}\t{seconds:.6f}")

    group = f"Python: {ITEMS:,} items from several producers into one consumer"
    for producers in (1, 2, 4, 8):
        each = ITEMS // producers

        def produce(put, each=each):
            for i in range(each):
                put(i)

        seconds = median(3, lambda: fan_in([produce] * producers))
        print(f"BENCH\t{group}\t{producers} producer(s)\t{seconds:.6f}")

    order = arrival_order()
    group = "Python: concurrent.futures.as_completed"
    print(
        f"NOTE\t{group}\tas_completed on tasks sleeping 0.3, 0.1, 0.2 s "
        f"yielded {', '.join(str(s) for s in order)}"
    )


if __name__ == "__main__":
    main()
