#!/usr/bin/env python3
"""Runs `openssl speed ARGS...` and reports, per block size, MB/s and the CPU
time the calling (submitting) thread spent per operation: with
-async_jobs the ops run in fibres on the main thread, and the offload
engine's worker threads are not counted, so this is what an async
application pays on its own thread.

The main thread's utime+stime is read from /proc every 10 ms and taken at
the end of each size's run (the line speed completes then); the kernel
counts it in clock ticks (usually 10 ms), so runs of a second or more keep
the error near 1%. Stdin is an idle pipe (a job paused without a wait fd
would hang speed on it). Output: one line per size, "bytes MB/s us_per_op".
"""
import os
import re
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    except (OSError, IndexError, ValueError):
        return None


def main(argv):
    idle_r, idle_w = os.pipe()
    proc = subprocess.Popen(["openssl", "speed"] + argv, stdin=idle_r,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    last = [0.0]
    done = threading.Event()

    def poll():
        while not done.is_set():
            cpu = thread_cpu(proc.pid)
            if cpu is not None:
                last[0] = cpu
            time.sleep(0.01)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    prev = 0.0
    pat = re.compile(r"on (\d+) size blocks: (\d+) \S+ in ([\d.]+)s")
    for line in proc.stderr:
        m = pat.search(line)
        if not m:
            continue
        cpu = thread_cpu(proc.pid)
        cpu = last[0] if cpu is None else cpu
        size, ops, secs = int(m.group(1)), int(m.group(2)), float(m.group(3))
        us = (cpu - prev) / ops * 1e6 if ops else 0.0
        prev = cpu
        print(f"{size} {size * ops / secs / 1e6:.0f} {us:.3f}", flush=True)
    done.set()
    os.close(idle_w)
    os.close(idle_r)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
