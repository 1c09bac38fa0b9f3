#!/usr/bin/python3
"""CPython threading on top of pthreads: Thread, Lock, RLock, Condition,
Event, Semaphore, Barrier, queue.Queue, time.sleep. Deterministic output;
exits 1 with 'FAIL: ...' on a failed check."""
import queue
import sys
import threading
import time


thread_errors = []
threading.excepthook = lambda args: thread_errors.append(repr(args.exc_value))


def check(what, ok):
    print(f"{what}: {'ok' if ok else 'FAILED'}")
    if not ok:
        print(f"FAIL: {what}")
        sys.exit(1)


# 50 threads, results by index
results = [None] * 50
def work(i):
    s = 0
    for k in range(i * 100):
        s += k % 7
    time.sleep(0.01)
    results[i] = s
threads = [threading.Thread(target=work, args=(i,), name=f"w{i}") for i in range(50)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check("50 threads computed by index", results == [sum(k % 7 for k in range(i * 100)) for i in range(50)])
check("threads no longer alive after join", not any(t.is_alive() for t in threads))
print("sum of results:", sum(results))

# Lock-protected counter
lock = threading.Lock()
counter = 0
def incr():
    global counter
    for _ in range(20000):
        with lock:
            counter += 1
ts = [threading.Thread(target=incr) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("lock counter:", counter)
check("lock counter exact", counter == 160000)
lock.acquire()
t0 = time.monotonic()
got = lock.acquire(timeout=0.1)
check("Lock.acquire(timeout=0.1) on held lock times out", not got and time.monotonic() - t0 >= 0.1)
check("Lock.acquire(blocking=False) on held lock", lock.acquire(blocking=False) is False)
lock.release()

# RLock
rl = threading.RLock()
for _ in range(5):
    rl.acquire()
other = []
t = threading.Thread(target=lambda: other.append(rl.acquire(blocking=False)))
t.start(); t.join()
for _ in range(5):
    rl.release()
check("RLock depth 5, other thread cannot acquire", other == [False])
try:
    rl.release()
    check("RLock release when unowned raises RuntimeError", False)
except RuntimeError:
    check("RLock release when unowned raises RuntimeError", True)

# Condition: bounded buffer, 4 producers x 4 consumers
cond = threading.Condition()
buf, CAP, ITEMS = [], 8, 20000
consumed = [0] * 4
done_producers = [0]
def producer(p):
    for i in range(p, ITEMS, 4):
        with cond:
            cond.wait_for(lambda: len(buf) < CAP)
            buf.append(i)
            cond.notify_all()
    with cond:
        done_producers[0] += 1
        cond.notify_all()
def consumer(c):
    while True:
        with cond:
            cond.wait_for(lambda: buf or done_producers[0] == 4)
            if not buf:
                return
            v = buf.pop(0)
            cond.notify_all()
        consumed[c] += v * 3 + 1
ts = [threading.Thread(target=producer, args=(i,)) for i in range(4)] + \
     [threading.Thread(target=consumer, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("condition checksum:", sum(consumed))
check("condition producer/consumer checksum", sum(consumed) == sum(i * 3 + 1 for i in range(ITEMS)))
with cond:
    t0 = time.monotonic()
    r = cond.wait(timeout=0.1)
check("Condition.wait(timeout=0.1) times out", r is False and time.monotonic() - t0 >= 0.1)

# Event
ev = threading.Event()
t0 = time.monotonic()
check("Event.wait(0.1) times out", ev.wait(0.1) is False and time.monotonic() - t0 >= 0.1)
waiters_ok = []
ws = [threading.Thread(target=lambda: waiters_ok.append(ev.wait(5))) for _ in range(10)]
for t in ws: t.start()
time.sleep(0.02)
ev.set()
for t in ws: t.join()
check("Event.set wakes 10 waiters", waiters_ok == [True] * 10)

# queue.Queue
q = queue.Queue(maxsize=10)
out = []
out_lock = threading.Lock()
def qprod(p):
    for i in range(p * 1000, p * 1000 + 1000):
        q.put(i)
def qcons():
    while True:
        v = q.get()
        if v is None:
            q.task_done()
            return
        with out_lock:
            out.append(v)
        q.task_done()
cons = [threading.Thread(target=qcons) for _ in range(3)]
prods = [threading.Thread(target=qprod, args=(p,)) for p in range(4)]
for t in cons + prods: t.start()
for t in prods: t.join()
q.join()
for _ in cons: q.put(None)
for t in cons: t.join()
check("queue.Queue delivered each item once", sorted(out) == list(range(4000)))
try:
    queue.Queue().get(timeout=0.05)
    check("Queue.get(timeout) on empty raises Empty", False)
except queue.Empty:
    check("Queue.get(timeout) on empty raises Empty", True)

# Semaphore
sem = threading.BoundedSemaphore(3)
inside, max_inside = [0], [0]
ilock = threading.Lock()
def sem_user():
    for _ in range(50):
        with sem:
            with ilock:
                inside[0] += 1
                max_inside[0] = max(max_inside[0], inside[0])
            time.sleep(0.0005)
            with ilock:
                inside[0] -= 1
ts = [threading.Thread(target=sem_user) for _ in range(10)]
for t in ts: t.start()
for t in ts: t.join()
check("Semaphore(3) bounds concurrency", 1 <= max_inside[0] <= 3 and inside[0] == 0)
try:
    sem.release()
    check("BoundedSemaphore over-release raises ValueError", False)
except ValueError:
    check("BoundedSemaphore over-release raises ValueError", True)

# Barrier
bar = threading.Barrier(6)
rounds = [[None] * 6 for _ in range(20)]
serial = [0] * 20
early = []
def bar_user(i):
    for r in range(20):
        rounds[r][i] = r * 10 + i
        idx = bar.wait()
        if idx == 0:
            serial[r] += 1
        if None in rounds[r]:
            early.append((r, i))
ts = [threading.Thread(target=bar_user, args=(i,)) for i in range(6)]
for t in ts: t.start()
for t in ts: t.join()
check("Barrier: 20 rounds, one index-0 thread per round", serial == [1] * 20 and not early)

# time.sleep
t0 = time.monotonic()
time.sleep(0.01)
check("time.sleep(0.01)", 0.01 <= time.monotonic() - t0 < 2.01)
check("only the main thread remains", threading.active_count() == 1)
check("no exceptions in threads", not thread_errors)
