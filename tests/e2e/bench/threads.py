#!/usr/bin/env python3
"""Where a process's CPU went, thread by thread, between two moments (Linux /proc).

    threads.py snapshot PID > before.json
    threads.py delta before.json after.json > threads.json

A snapshot holds, per thread: its name, its CPU time (utime + stime) and the time it spent
runnable but waiting for a core (the run queue, schedstat's second field). The delta groups
threads by role (the thread names Connect, the JVM and the sink give them) and sums the
growth of each figure, in seconds; a thread that ended between the two snapshots is not
counted, one that started counts from zero. A thread is known by its id and start time, not its
name: Connect renames a pooled thread while it runs a task (task-thread-...) and gives the old
name back afterwards, and a task started later may run on a thread an earlier one used.
"""
import json
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")

# (prefix of the kernel's thread name, at most 15 characters; the role it is shown as). The
# core's load threads are named exactly "starrocks-sink"; the shim's log drain,
# "starrocks-sink-log-drain", shows as "starrocks-sink-" and is not one of them.
EXACT = {"starrocks-sink": "sink: loads"}
ROLES = (
    ("pool-", "Connect task (poll, convert, put)"),
    ("task-thread-", "Connect task (poll, convert, put)"),
    ("starrocks-intak", "sink: intake"),
    ("C1 CompilerThre", "JIT compilers"),
    ("C2 CompilerThre", "JIT compilers"),
    ("GC Thread", "garbage collector"),
    ("G1 ", "garbage collector"),
    ("VM Thread", "garbage collector"),
)
OTHER = "everything else"


def role(name):
    if name in EXACT:
        return EXACT[name]
    for prefix, label in ROLES:
        if name.startswith(prefix):
            return label
    return OTHER


def snapshot(pid):
    threads = {}
    for tid in os.listdir("/proc/%s/task" % pid):
        try:
            with open("/proc/%s/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
            with open("/proc/%s/task/%s/schedstat" % (pid, tid)) as f:
                sched = f.read().split()
        except OSError:
            continue  # the thread ended meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # stat fields 14 and 15 (utime, stime) and 22 (start time); fields[0] is field 3.
        threads[tid] = {"name": name, "start": int(fields[19]),
                        "cpu_s": (int(fields[11]) + int(fields[12])) / TICK,
                        "runq_s": int(sched[1]) / 1e9}
    return threads


def delta(before, after):
    groups = {}
    for tid, a in after.items():
        b = before.get(tid)
        if b is not None and b.get("start") != a["start"]:
            b = None  # another thread with a reused id
        g = groups.setdefault(role(a["name"]), {"cpu_s": 0.0, "runq_s": 0.0, "threads": 0})
        g["cpu_s"] += a["cpu_s"] - (b["cpu_s"] if b else 0)
        g["runq_s"] += a["runq_s"] - (b["runq_s"] if b else 0)
        g["threads"] += 1
    return {k: {"cpu_s": round(v["cpu_s"], 3), "runq_s": round(v["runq_s"], 3),
                "threads": v["threads"]} for k, v in groups.items()}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "snapshot":
        json.dump(snapshot(sys.argv[2]), sys.stdout)
    elif len(sys.argv) == 4 and sys.argv[1] == "delta":
        with open(sys.argv[2]) as f:
            before = json.load(f)
        with open(sys.argv[3]) as f:
            after = json.load(f)
        json.dump(delta(before, after), sys.stdout)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
