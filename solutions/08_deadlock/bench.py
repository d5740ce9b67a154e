"""The Python side of chapter 8: two locks per transfer, in one global order.

Run by `cargo course bench deadlock`; prints lines in the course's bench
format. Standard library only.
"""

import threading
import time

THREADS = 4
TRANSFERS = 100_000


# ANCHOR: transfer
class Bank:
    def __init__(self, balances):
        self.balances = list(balances)
        self.locks = [threading.Lock() for _ in self.balances]

    def transfer(self, src, dst, amount):
        if src == dst:
            return True  # a Lock is not reentrant: never take one twice
        first, second = sorted((src, dst))  # one global order: lower id first
        with self.locks[first], self.locks[second]:
            if self.balances[src] < amount:
                return False
            self.balances[src] -= amount
            self.balances[dst] += amount
            return True
# ANCHOR_END: transfer


class OneLockBank:
    def __init__(self, balances):
        self.balances = list(balances)
        self.lock = threading.Lock()

    def transfer(self, src, dst, amount):
        with self.lock:
            if self.balances[src] < amount:
                return False
            self.balances[src] -= amount
            self.balances[dst] += amount
            return True


def crash_between_writes():
    bank = Bank([1000, 1000])
    # ANCHOR: no_poison
    try:
        with bank.locks[0], bank.locks[1]:
            bank.balances[0] -= 10
            raise RuntimeError("crashed between the two writes")
    except RuntimeError:
        pass
    # Both locks are free again, and nothing says the data is half-updated.
    free = not bank.locks[0].locked() and not bank.locks[1].locked()
    # ANCHOR_END: no_poison
    return free, sum(bank.balances)


def plan(seed, accounts, count):
    """Random (src, dst, amount) triples: xorshift, as in the Rust bench."""
    state = (0x9E3779B97F4A7C15 ^ seed) & 0xFFFFFFFFFFFFFFFF

    def step():
        nonlocal state
        state ^= (state << 13) & 0xFFFFFFFFFFFFFFFF
        state ^= state >> 7
        state ^= (state << 17) & 0xFFFFFFFFFFFFFFFF
        return state

    return [
        (step() % accounts, step() % accounts, step() % 50 + 1) for _ in range(count)
    ]


def on_threads(bank, plans):
    def work(transfers):
        for src, dst, amount in transfers:
            bank.transfer(src, dst, amount)

    threads = [threading.Thread(target=work, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def median(runs, work):
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    for accounts, spelled in ((1000, "1,000"), (4, "4")):
        group = f"Python: {TRANSFERS:,} transfers on {THREADS} threads, "
        group += f"{spelled} accounts"
        plans = [plan(t + 1, accounts, TRANSFERS // THREADS) for t in range(THREADS)]
        for label, make in (
            ("one lock for the whole bank", OneLockBank),
            ("a lock per account, lower id first", Bank),
        ):
            seconds = median(3, lambda: on_threads(make([1000] * accounts), plans))
            print(f"BENCH\t{group}\t{label}\t{seconds:.6f}")

    group = "Python: an exception between two writes"
    free, total = crash_between_writes()
    print(
        f"NOTE\t{group}\tafterwards the locks were {'free' if free else 'held'} "
        f"and the two balances added up to {total} instead of 2000: "
        "Python's locks have no poisoning"
    )


if __name__ == "__main__":
    main()
