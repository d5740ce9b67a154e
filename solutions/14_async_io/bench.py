"""The Python side of chapter 14: asyncio beside threads, for many waits and
for many requests to the same loopback fixture server as the Rust benchmark.

Run by `cargo course bench async`; prints lines in the course's bench format.
Standard library only. The server is the test kit's, started with
`cargo run --release --bin fixture-server` (or taken from $FIXTURE_URL).
"""

import asyncio
import os
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

WAIT = 0.1


# ANCHOR: fetch
async def fetch(host, port, path):
    """GETs path over HTTP/1.0; returns (status, body length)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        await writer.drain()
        raw = await reader.read()  # to the end: HTTP/1.0 closes after one answer
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), len(body)
# ANCHOR_END: fetch


# ANCHOR: fetch_all
async def fetch_all(host, port, paths, limit, timeout):
    """(index, result or exception) pairs, in the order they finish."""
    permits = asyncio.Semaphore(limit)

    async def one(i, path):
        async with permits:  # at most `limit` requests at once
            try:
                return i, await asyncio.wait_for(fetch(host, port, path), timeout)
            except (OSError, asyncio.TimeoutError) as error:
                return i, error

    tasks = [asyncio.create_task(one(i, path)) for i, path in enumerate(paths)]
    return [await next_done for next_done in asyncio.as_completed(tasks)]
# ANCHOR_END: fetch_all


def blocking_fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return len(response.read())


# ANCHOR: run_in_executor
async def fetch_without_blocking(url):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, blocking_fetch, url)
# ANCHOR_END: run_in_executor


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def resident_mib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def thread_waits(n, wait, probe=lambda: None):
    started = threading.Semaphore(0)

    def sleeper():
        started.release()
        time.sleep(wait)

    threads = [threading.Thread(target=sleeper) for _ in range(n)]
    for t in threads:
        t.start()
    for _ in range(n):
        started.acquire()
    probe()
    for t in threads:
        t.join()


async def async_waits(n, wait, probe=lambda: None):
    tasks = [asyncio.create_task(asyncio.sleep(wait)) for _ in range(n)]
    await asyncio.sleep(0)  # every task has started and is waiting
    probe()
    await asyncio.gather(*tasks)


def memory_while_waiting(group, label, run):
    before = resident_mib()
    during = []
    run(lambda: during.append(resident_mib()))
    if before is not None and during and during[0] is not None:
        grew = round(max(during[0] - before, 0.0), 1)
        print(f"VALUE\t{group}\t{label}\t{grew}\tMiB more memory while waiting")


def start_fixture():
    """The base URL of a running fixture server, and the process to stop."""
    if os.environ.get("FIXTURE_URL"):
        return os.environ["FIXTURE_URL"].rstrip("/"), None
    solutions = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    server = subprocess.Popen(
        ["cargo", "run", "--release", "--quiet", "-p", "async_io",
         "--bin", "fixture-server"],
        cwd=solutions, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    base = server.stdout.readline().strip()
    if not base.startswith("http://127.0.0.1:"):
        server.kill()
        sys.exit("the fixture server did not start")
    return base, server


def main():
    group = "Python: many waits of 100 ms at once"
    # Memory first, before the allocator holds memory it could reuse.
    memory_while_waiting(group, "asyncio: 10,000 tasks",
                         lambda probe: asyncio.run(async_waits(10_000, 1.0, probe)))
    memory_while_waiting(group, "threads: 1,000 threads",
                         lambda probe: thread_waits(1_000, 1.0, probe))
    seconds = median(5, lambda: thread_waits(1_000, WAIT))
    print(f"BENCH\t{group}\tthreads: 1,000 threads\t{seconds:.6f}")
    seconds = median(5, lambda: asyncio.run(async_waits(10_000, WAIT)))
    print(f"BENCH\t{group}\tasyncio: 10,000 tasks\t{seconds:.6f}")

    base, server = start_fixture()
    try:
        host, port = base.removeprefix("http://").split(":")
        port = int(port)
        group = "Python: 500 requests of 100 ms to the loopback server"
        url = f"{base}/delay/100"

        def pool():
            with ThreadPoolExecutor(max_workers=500) as executor:
                list(executor.map(blocking_fetch, [url] * 500))

        seconds = median(5, pool)
        print(f"BENCH\t{group}\tThreadPoolExecutor, 500 workers (urllib)\t{seconds:.6f}")
        paths = ["/delay/100"] * 500
        for limit in (500, 100):
            seconds = median(5, lambda: asyncio.run(
                fetch_all(host, port, paths, limit, 30.0)))
            print(f"BENCH\t{group}\tasyncio: fetch_all, limit {limit}\t{seconds:.6f}")

        group = "Python: 20 blocking requests of 100 ms from async code"

        async def direct():
            async def one():
                return blocking_fetch(url)  # holds the event loop until done

            await asyncio.gather(*(one() for _ in range(20)))

        async def offloaded():
            await asyncio.gather(*(fetch_without_blocking(url) for _ in range(20)))

        seconds = median(1, lambda: asyncio.run(direct()))
        print(f"BENCH\t{group}\tcalled inside the coroutine\t{seconds:.6f}")
        seconds = median(5, lambda: asyncio.run(offloaded()))
        print(f"BENCH\t{group}\tthrough run_in_executor (default pool)\t{seconds:.6f}")
    finally:
        if server is not None:
            server.stdin.close()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
