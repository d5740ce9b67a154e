"""The Python side of chapter 13: the articles' urllib and ThreadPoolExecutor
version of "fetch these URLs", against the same loopback fixture server as
the Rust benchmark.

Run by `cargo course bench io_threads`; prints lines in the course's bench
format. Standard library only. The server is the test kit's, started with
`cargo run --example fixture` (or taken from $FIXTURE_URL when set).
"""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed

REQUESTS = 20
DELAY_MS = 200


# ANCHOR: fetch
def fetch(url, timeout=5.0):
    """GETs url; returns the size of its body. Raises on an error status
    (urllib.error.HTTPError), a refused connection (URLError) or a timeout."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return len(response.read())
# ANCHOR_END: fetch


# ANCHOR: pool_map
def fetch_all(urls, workers):
    """One result per URL, in the order of urls: a size or the exception."""
    def attempt(url):
        try:
            return fetch(url)
        except (urllib.error.URLError, TimeoutError) as error:
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(attempt, urls))
# ANCHOR_END: pool_map


# ANCHOR: as_completed
def fetch_as_completed(urls, workers):
    """Yields (index, size or exception) as each request finishes."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(fetch, url): i for i, url in enumerate(urls)}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except (urllib.error.URLError, TimeoutError) as error:
                yield futures[future], error
# ANCHOR_END: as_completed


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def start_fixture():
    """The base URL of a running fixture server, and the process to stop."""
    if os.environ.get("FIXTURE_URL"):
        return os.environ["FIXTURE_URL"].rstrip("/"), None
    solutions = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    server = subprocess.Popen(
        ["cargo", "run", "--release", "--quiet", "-p", "io_threads",
         "--example", "fixture"],
        cwd=solutions, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    base = server.stdout.readline().strip()
    if not base.startswith("http://127.0.0.1:"):
        server.kill()
        sys.exit("the fixture server did not start")
    return base, server


def main():
    base, server = start_fixture()
    try:
        urls = [f"{base}/delay/{DELAY_MS}"] * REQUESTS
        group = "Python: 20 requests of 200 ms each"

        def sequential():
            for url in urls:
                fetch(url)

        print(f"BENCH\t{group}\turllib, one after another\t{median(1, sequential):.6f}")
        for workers in (4, 10, REQUESTS):
            seconds = median(5, lambda: fetch_all(urls, workers))
            print(f"BENCH\t{group}\tThreadPoolExecutor, {workers} workers\t{seconds:.6f}")
        default = min(32, (os.cpu_count() or 1) + 4)
        seconds = median(5, lambda: list(fetch_as_completed(urls, None)))
        print(f"BENCH\t{group}\tThreadPoolExecutor(), default {default} workers"
              f"\t{seconds:.6f}")
    finally:
        if server is not None:
            server.stdin.close()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
