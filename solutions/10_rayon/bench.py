"""The Python side of chapter 10: a word-count map-reduce on threads and on
processes, and pools sized for cores against pools sized for waiting.

Run by `cargo course bench rayon`; prints lines in the course's bench format.
Standard library only.
"""

import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

TEXTS = 400
WORDS_PER_TEXT = 1_000
WAITS = 16
WAIT = 0.05


def numbers(n, seed):
    """Deterministic pseudo-random numbers (xorshift), as in the Rust bench."""
    x, mask, out = seed | 1, (1 << 64) - 1, []
    for _ in range(n):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        out.append(x)
    return out


def make_texts():
    picks = numbers(TEXTS * WORDS_PER_TEXT, 9)
    return [
        " ".join(f"w{p % 5000}" for p in picks[i:i + WORDS_PER_TEXT])
        for i in range(0, len(picks), WORDS_PER_TEXT)
    ]


# ANCHOR: map_reduce
def count_words(text):
    return Counter(text.lower().split())


def word_frequencies(pool, texts):
    total = Counter()
    for counts in pool.map(count_words, texts, chunksize=25):
        total.update(counts)  # the reduce, in the parent
    return total
# ANCHOR_END: map_reduce


def download(_page):
    time.sleep(WAIT)  # stands in for a blocking call
    return 1000


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


def main():
    cores = os.cpu_count() or 1
    texts = make_texts()

    group = "Python: word frequencies of 400 texts of 1,000 words"

    def sequential():
        total = Counter()
        for text in texts:
            total.update(count_words(text))
        return total

    bench(group, "sequential: Counter per text", median(3, sequential))
    with ThreadPoolExecutor(max_workers=cores) as pool:
        bench(group, f"ThreadPoolExecutor({cores})",
              median(3, lambda: word_frequencies(pool, texts)))
    with ProcessPoolExecutor(max_workers=cores) as pool:
        bench(group, f"ProcessPoolExecutor({cores})",
              median(3, lambda: word_frequencies(pool, texts)))
    print(f"NOTE\t{group}\tprocesses pay to pickle every text and every Counter "
          f"across a pipe; threads take turns on the GIL")

    group = "Python: 16 waits of 50 ms (blocking I/O)"
    # ANCHOR: sized_pools
    with ThreadPoolExecutor(max_workers=2) as pool:  # sized for 2 cores
        two = median(3, lambda: list(pool.map(download, range(WAITS))))
    with ThreadPoolExecutor(max_workers=WAITS) as pool:  # sized for the waits
        sixteen = median(3, lambda: list(pool.map(download, range(WAITS))))
    # ANCHOR_END: sized_pools
    bench(group, "ThreadPoolExecutor(2)", two)
    bench(group, "ThreadPoolExecutor(16), sized for I/O", sixteen)


if __name__ == "__main__":
    main()
