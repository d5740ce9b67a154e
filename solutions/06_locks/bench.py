"""The Python side of chapter 6: a bounded queue, ready-made and by hand.

Run by `cargo course bench locks`; prints lines in the course's bench format.
Standard library only.
"""

import collections
import queue
import threading
import time

ITEMS = 20_000


# ANCHOR: queue_queue
def pipeline(items, capacity):
    q = queue.Queue(maxsize=capacity)  # put() blocks while full
    total = 0
    lock = threading.Lock()

    def consume():
        nonlocal total
        while (item := q.get()) is not None:  # get() blocks while empty
            with lock:
                total += item

    consumers = [threading.Thread(target=consume) for _ in range(2)]
    for c in consumers:
        c.start()
    for item in items:
        q.put(item)
    for _ in consumers:
        q.put(None)  # one "stop" per consumer (3.13 adds q.shutdown())
    for c in consumers:
        c.join()
    return total
# ANCHOR_END: queue_queue


# ANCHOR: condition
class BoundedQueue:
    """What queue.Queue does inside: one lock, two conditions on it."""

    def __init__(self, capacity):
        self.items, self.capacity = collections.deque(), capacity
        lock = threading.Lock()
        self.not_empty = threading.Condition(lock)
        self.not_full = threading.Condition(lock)

    def put(self, item):
        with self.not_full:
            while len(self.items) >= self.capacity:  # while, not if
                self.not_full.wait()
            self.items.append(item)
            self.not_empty.notify()

    def get(self):
        with self.not_empty:
            while not self.items:
                self.not_empty.wait()
            item = self.items.popleft()
            self.not_full.notify()
            return item
# ANCHOR_END: condition


def pass_through(make_queue, capacity):
    """2 producers and 2 consumers pass ITEMS numbers through one queue."""
    q = make_queue(capacity)
    sums = []

    def produce(start):
        for i in range(start, ITEMS, 2):
            q.put(i)

    def consume():
        total = 0
        while (item := q.get()) is not None:
            total += item
        sums.append(total)

    producers = [threading.Thread(target=produce, args=(p,)) for p in range(2)]
    consumers = [threading.Thread(target=consume) for _ in range(2)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        q.put(None)
    for t in consumers:
        t.join()
    assert sum(sums) == ITEMS * (ITEMS - 1) // 2


def median(runs, work):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    assert pipeline(range(100), 8) == sum(range(100))
    group = "Python: 20,000 items, 2 producers → 2 consumers, by capacity"
    for capacity in [1, 4, 16, 64, 1024]:
        seconds = median(3, lambda: pass_through(queue.Queue, capacity))
        print(f"BENCH\t{group}\tqueue.Queue, maxsize {capacity}\t{seconds:.6f}")
    seconds = median(3, lambda: pass_through(BoundedQueue, 64))
    print(f"BENCH\t{group}\thand-written BoundedQueue, capacity 64\t{seconds:.6f}")


if __name__ == "__main__":
    main()
