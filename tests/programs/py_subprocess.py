# python3's subprocess (vfork + exec in the child, dup2/close_range there),
# os.system, os.fork and signal handling, preloaded: same output as native.
import os, signal, subprocess, sys, threading, time

def worker(n, out):
    r = subprocess.run(["/bin/sh", "-c", "echo child $0", str(n)], capture_output=True, text=True)
    out[n] = (r.returncode, r.stdout.strip())

out = {}
ts = [threading.Thread(target=worker, args=(i, out)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join()
for i in range(8): print(i, out[i])

sys.stdout.flush()
print("os.system:", os.system("exit 3") >> 8)
r = subprocess.run(["/bin/cat"], input="through a pipe\n", capture_output=True, text=True)
print("cat:", r.stdout.strip())

pid = os.fork()
if pid == 0:
    t = threading.Thread(target=lambda: print("thread in forked child"))
    t.start(); t.join()
    sys.stdout.flush()
    os._exit(5)
_, st = os.waitpid(pid, 0)
print("forked child exit:", os.WEXITSTATUS(st))

got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
time.sleep(0.05)
print("handler ran:", got == [signal.SIGUSR1])
signal.signal(signal.SIGALRM, lambda s, f: got.append(s))
signal.setitimer(signal.ITIMER_REAL, 0.05)
time.sleep(1)  # python restarts the sleep after the handler (PEP 475)
print("alarm handler ran:", got[-1] == signal.SIGALRM)
