"""The Python side of chapter 15: fetch and crunch 24 documents, one after
another and as a pipeline (threads that download, a bounded queue, a process
pool that crunches).

Run by `cargo course bench pipeline`; prints lines in the course's bench
format. Standard library only: the documents come from a small delay server
started in this process on a loopback port.
"""

import os
import queue
import threading
import time
import urllib.request
from functools import partial
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DOCUMENTS = 24
DELAY_MS = 20
GROUP = "Python: fetch and crunch 24 documents"


class Delay(BaseHTTPRequestHandler):
    """Answers GET /delay/<ms> after ms milliseconds, like the test kit."""

    def do_GET(self):
        time.sleep(int(self.path.rsplit("/", 1)[-1]) / 1000)
        body = b'{"delay_ms": 20}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def checksum(doc, rounds):
    """The Rust exercise's FNV-1a stand-in for CPU work."""
    h = 0xCBF29CE484222325
    for _ in range(rounds):
        for byte in doc:
            h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


# ANCHOR: pipeline
def pipeline(urls, crunch, downloaders=8, crunchers=os.cpu_count(), bound=8):
    docs = queue.Queue(maxsize=bound)  # put() waits while it is full
    todo = queue.Queue()
    for url in urls:
        todo.put(url)

    def download():
        while True:
            try:
                url = todo.get_nowait()
            except queue.Empty:
                return
            docs.put(fetch(url))

    threads = [threading.Thread(target=download) for _ in range(downloaders)]
    for thread in threads:
        thread.start()
    # submit() never waits, so a semaphore keeps the pool's queue bounded too.
    slots = threading.BoundedSemaphore(bound)
    futures = []
    with ProcessPoolExecutor(max_workers=crunchers) as pool:
        for _ in urls:
            doc = docs.get()
            slots.acquire()
            future = pool.submit(crunch, doc)
            future.add_done_callback(lambda _: slots.release())
            futures.append(future)
        total = sum(future.result() for future in futures)
    for thread in threads:
        thread.join()
    return total
# ANCHOR_END: pipeline


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def calibrate(doc, target):
    rounds = 10
    while True:
        start = time.perf_counter()
        checksum(doc, rounds)
        took = time.perf_counter() - start
        if took >= target / 4:
            return max(1, int(rounds * target / took))
        rounds *= 2


def crunch(doc, rounds):
    return checksum(doc, rounds) & 1


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Delay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/delay/{DELAY_MS}"
        urls = [url] * DOCUMENTS
        # A partial of a module-level function pickles, so the worker
        # processes get the rounds whatever their start method.
        work = partial(crunch, rounds=calibrate(fetch(url), 0.020))

        def sequential():
            for u in urls:
                work(fetch(u))

        print(f"BENCH\t{GROUP}\tsequential: fetch, crunch, fetch, ...\t"
              f"{median(3, sequential):.6f}")
        print(f"BENCH\t{GROUP}\tthreads, a bounded Queue, a ProcessPoolExecutor\t"
              f"{median(3, lambda: pipeline(urls, work)):.6f}")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
