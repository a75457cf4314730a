#!/usr/bin/env python3
"""Turns run-bench.sh's results into Markdown.

    render-report.py RESULTS.jsonl MACHINE.json > report.md
    render-report.py --splice DOC.md report.md [SECTION]
                                                   replaces DOC's text between the markers
                                                   <!-- bench-SECTION:begin --> and
                                                   <!-- bench-SECTION:end --> (SECTION:
                                                   results, the default, or memory)

One table per row size x converter: the StarRocks sink (at-least-once, exactly-once when run
with --sinks ours-eo, behind the seed's Debezium transforms with ours-smt), the null sink,
ours / null, exactly-once / at-least-once, and envelope / transforms.
With several runs per combination every figure is the median of its runs. Runs against a slow
StarRocks (--slow-ms) add the sink's largest native memory for rows (pending-bytes) and its
bound, 2 x bufferflush.maxbytes plus four polls' records.
"""
import json
import statistics
import sys

# Connect's default consumer max.poll.records: one put brings at most this many records.
MAX_POLL_RECORDS = 500

SIZE_LABEL = {"100": "~100 B rows", "1k": "~1 KB rows"}
CONV_LABEL = {
    "json": "JsonConverter (schemas.enable=false)",
    "bytes": "ByteArrayConverter (raw JSON)",
    "csv": "ByteArrayConverter (CSV lines, sink.properties.format=csv)",
    "debezium": "Debezium events, JsonConverter (schemas.enable=true)",
    "debezium-bytes": "Debezium events, ByteArrayConverter (JSON text with its schema)",
    "debezium-map": "Debezium events without a schema, JsonConverter (schemas.enable=false)",
}
SINK_LABEL = {"ours": "StarRocks sink (ours)", "ours-eo": "StarRocks sink (ours), exactly-once",
              "ours-smt": "StarRocks sink (ours) behind the seed's transforms",
              "null": "null sink"}
SINKS = ("ours", "ours-eo", "ours-smt", "null")


def splice(doc_path, report_path, section="results"):
    begin = "<!-- bench-%s:begin -->" % section
    end = "<!-- bench-%s:end -->" % section
    doc = open(doc_path).read()
    report = open(report_path).read().rstrip("\n")
    if begin not in doc or end not in doc:
        sys.exit("%s has no %s ... %s markers" % (doc_path, begin, end))
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    open(doc_path, "w").write(head + begin + "\n" + report + "\n" + end + tail)


def metrics(r):
    """Derived figures of one run, or None when it did not drain."""
    if r.get("error") or not r.get("t_done_ms"):
        return None
    n = r["n"]
    if r["sink"] not in ("null", "consumer") and r.get("table_rows") != n:
        sys.exit("%s B, %s, %s, run %d: the table holds %s rows, expected %d; no report"
                 % (r["size"], r["conv"], r["sink"], r["rep"], r.get("table_rows"), n))
    drain = (r["t_done_ms"] - r["t_put_ms"]) / 1000.0
    m = {
        "drain_s": drain,
        "rec_s": n / drain,
        "mb_s": r["bytes"] / drain / 1e6,
        "cpu_per_m": r["worker_cpu_s"] / (n / 1e6),
        "cpu_util": r["worker_cpu_s"] / drain,
        "hwm_mb": r["worker_hwm_kb"] / 1024.0,
        "emu_per_m": r["emulator_cpu_s"] / (n / 1e6),
        "broker_per_m": r["broker_cpu_s"] / (n / 1e6),
        "rows_ok": None if r["sink"] == "null" else (r.get("table_rows") == n),
        "loads": r.get("stream_loads"),
        "load_mb": (r["stream_load_bytes"] / r["stream_loads"] / 1e6) if r.get("stream_loads") else None,
        "pending_mb": (r["max_pending_bytes"] / 2**20) if r.get("max_pending_bytes") is not None else None,
    }
    return m


def median_of(runs, key):
    vals = [m[key] for m in runs if m.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt_int(v):
    return "–" if v is None else "{:,.0f}".format(v)


def fmt(v, digits=1):
    return "–" if v is None else "{:,.{}f}".format(v, digits)


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "–"
    return "{:.{}f}×".format(a / b, digits)


def thread_table(rows, groups, size, conv):
    """The worker's CPU by thread role, and the time those threads waited for a core, per 1M
    records (medians over the runs; bench/threads.py), for each sink with those figures."""
    per_sink = {}
    for sink in SINKS:
        runs = [r for r in groups.get((size, conv, sink), [])
                if sink in rows and r.get("threads") and metrics(r)]
        if runs:
            per_sink[sink] = runs
    if not per_sink:
        return []
    roles = []
    for runs in per_sink.values():
        for r in runs:
            for name in r["threads"]:
                if name not in roles:
                    roles.append(name)

    def med(runs, name, key):
        return statistics.median(r["threads"].get(name, {}).get(key, 0.0) / (r["n"] / 1e6)
                                 for r in runs)

    first = next(iter(per_sink.values()))
    roles.sort(key=lambda name: -med(first, name, "cpu_s"))
    out = ["The worker's threads, from the connector's start to just after the drain "
           "(`bench/threads.py`: CPU, and time spent runnable but waiting for a core, per 1M "
           "records; medians of the runs):", "",
           "| thread | " + " | ".join("%s CPU-s | %s waiting for a core, s" % (s, s)
                                       for s in per_sink) + " |",
           "|---|" + "---|---|" * len(per_sink)]
    totals = {s: [0.0, 0.0] for s in per_sink}
    for name in roles:
        cells = []
        for sink, runs in per_sink.items():
            cpu, runq = med(runs, name, "cpu_s"), med(runs, name, "runq_s")
            totals[sink][0] += cpu
            totals[sink][1] += runq
            cells.append("%s | %s" % (fmt(cpu, 2), fmt(runq, 2)))
        out.append("| %s | %s |" % (name, " | ".join(cells)))
    out.append("| *all (sums of the medians)* | %s |" % " | ".join(
        "*%s* | *%s*" % (fmt(c, 2), fmt(q, 2)) for c, q in totals.values()))
    out.append("")
    return out


def render(results_path, machine_path):
    results = [json.loads(l) for l in open(results_path) if l.strip()]
    m = json.load(open(machine_path))
    out = []
    w = out.append
    w("Generated by `tests/e2e/bench/run-bench.sh` on %s; the command was `%s` (%s s in all)."
      % (m["date"], m["cmd"], m["secs"]))
    w("")
    w("| machine | |")
    w("|---|---|")
    w("| CPU | %s, %s cores (`nproc`) |" % (m["cpu"], m["cores"]))
    w("| RAM | %.1f GiB |" % (int(m["mem_kb"]) / 1024.0 / 1024.0))
    w("| kernel | %s |" % m["kernel"])
    w("| JDK | %s |" % m["jdk"])
    w("| Kafka | %s (broker, Connect worker, clients) |" % m["kafka"])
    w("| plugin | %s, built from %s |" % (m["plugin"], m["rev"]))
    w("| worker JVM | `%s` |" % m["worker_opts"])
    w("| topics | %s partition(s), tasks.max = partitions, preloaded with kcat, compression %s |"
      % (m["partitions"], m["compression"]))
    w("| offset.flush.interval.ms | %s |" % m["commit_ms"])
    if m.get("emulator_mode") == "count-only":
        w("| StarRocks | the emulator in count-only mode: each load's framing checked and its rows "
          "counted, not converted or stored (`starrocks-emulator --count-only`) |")
    else:
        w("| StarRocks | the emulator in full mode: every row converted and stored in memory |")
    slow = int(m.get("slow_ms", "0") or 0)
    if slow:
        w("| StarRocks | slow: the emulator holds every load's reply %d ms (delay_reply) |" % slow)
    extra = m.get("extra", "{}")
    if extra not in ("{}", ""):
        w("| extra connector config | `%s` |" % extra)
    warmup = int(m.get("warmup", "0") or 0)
    if warmup:
        w("| warm-up | each run's worker first drains %d %% of N rows of the same shape through "
          "a connector of its own; the figures are of the measured drain after it |" % warmup)
    else:
        w("| warm-up | none: each run is measured from a cold JVM |")
    w("| runs per combination | %s (median shown) |" % m["repeat"])
    w("")

    groups = {}
    for r in results:
        groups.setdefault((r["size"], r["conv"], r["sink"]), []).append(r)
    failures = [r for r in results if r.get("error")]

    sizes = [s for s in ("100", "1k") if any(k[0] == s for k in groups)]
    convs = [c for c in ("json", "bytes", "csv", "debezium", "debezium-bytes", "debezium-map")
             if any(k[1] == c for k in groups)]
    for size in sizes:
        for conv in convs:
            rows = {}
            for sink in SINKS:
                runs = [x for x in (metrics(r) for r in groups.get((size, conv, sink), [])) if x]
                if runs:
                    rows[sink] = runs
            if not rows:
                continue
            sample = next(iter(groups[(size, conv, next(iter(rows)))]))
            w("### %s, %s" % (SIZE_LABEL.get(size, size), CONV_LABEL.get(conv, conv)))
            w("")
            w("N = {:,} records, {:.1f} MB of {} values ({:.0f} B per record on average)."
              .format(sample["n"], sample["bytes"] / 1e6, "CSV" if conv == "csv" else "JSON",
                      sample["bytes"] / sample["n"]))
            w("")
            w("| sink | drain s | records/s | records/s min–max | MB/s | worker CPU-s per 1M | worker cores busy | "
              "worker peak RSS MB | Stream Loads (avg MB) | emulator CPU-s per 1M | broker CPU-s per 1M | rows in table |")
            w("|---|---|---|---|---|---|---|---|---|---|---|---|")
            med = {}
            for sink in SINKS:
                if sink not in rows:
                    continue
                runs = rows[sink]
                med[sink] = {k: median_of(runs, k) for k in
                             ("drain_s", "rec_s", "mb_s", "cpu_per_m", "cpu_util", "hwm_mb",
                              "emu_per_m", "broker_per_m", "loads", "load_mb")}
                d = med[sink]
                if sink != "null":
                    oks = [x["rows_ok"] for x in runs]
                    rows_txt = "= N" if all(oks) else "**%d of %d runs wrong**" % (oks.count(False), len(oks))
                    loads_txt = "%s (%s)" % (fmt_int(d["loads"]), fmt(d["load_mb"]))
                else:
                    rows_txt = loads_txt = "n/a"
                spread = "%s–%s (%d runs)" % (fmt_int(min(x["rec_s"] for x in runs)),
                                             fmt_int(max(x["rec_s"] for x in runs)), len(runs))
                w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    SINK_LABEL[sink], fmt(d["drain_s"], 2), fmt_int(d["rec_s"]), spread, fmt(d["mb_s"]),
                    fmt(d["cpu_per_m"], 2), fmt(d["cpu_util"], 2), fmt_int(d["hwm_mb"]), loads_txt,
                    fmt(d["emu_per_m"], 2), fmt(d["broker_per_m"], 2), rows_txt))
            if slow and "ours" in rows:
                max_bytes = int(m.get("max_bytes", "94371840"))
                # Four polls: up to three batches wait in the sink's intake, and one put's.
                put_mb = 4 * MAX_POLL_RECORDS * sample["bytes"] / sample["n"] / 2**20
                bound = 2 * max_bytes / 2**20 + put_mb
                pend = [x["pending_mb"] for x in rows["ours"] if x["pending_mb"] is not None]
                w("")
                w("Native memory for rows (buffers plus loads not yet durable, the sum of the "
                  "tables' `pending-bytes` sampled over JMX every 200 ms): largest %s MiB over %d "
                  "run(s); the bound is 2 × bufferflush.maxbytes (%.0f MiB) + four polls of %d "
                  "records (%.1f MiB) = **%.1f MiB**; bufferflush.maxbytes alone is %.0f MiB."
                  % (fmt(max(pend) if pend else None), len(pend), 2 * max_bytes / 2**20,
                     MAX_POLL_RECORDS, put_mb, bound, max_bytes / 2**20))
            if "ours" in med and "null" in med:
                o, n = med["ours"], med["null"]
                w("| **ours ÷ null** | %s | **%s** | | %s | **%s** | %s | **%s** | | | | |" % (
                    ratio(o["drain_s"], n["drain_s"]), ratio(o["rec_s"], n["rec_s"]),
                    ratio(o["mb_s"], n["mb_s"]), ratio(o["cpu_per_m"], n["cpu_per_m"]),
                    ratio(o["cpu_util"], n["cpu_util"]), ratio(o["hwm_mb"], n["hwm_mb"])))
            if "ours" in med and "ours-smt" in med:
                o, t = med["ours"], med["ours-smt"]
                w("| **envelope ÷ transforms** | %s | **%s** | | %s | **%s** | %s | **%s** | | | | |" % (
                    ratio(o["drain_s"], t["drain_s"]), ratio(o["rec_s"], t["rec_s"]),
                    ratio(o["mb_s"], t["mb_s"]), ratio(o["cpu_per_m"], t["cpu_per_m"]),
                    ratio(o["cpu_util"], t["cpu_util"]), ratio(o["hwm_mb"], t["hwm_mb"])))
            if "ours" in med and "ours-eo" in med:
                e, o = med["ours-eo"], med["ours"]
                w("| **exactly-once ÷ at-least-once** | %s | **%s** | | %s | **%s** | %s | **%s** | | | | |" % (
                    ratio(e["drain_s"], o["drain_s"]), ratio(e["rec_s"], o["rec_s"]),
                    ratio(e["mb_s"], o["mb_s"]), ratio(e["cpu_per_m"], o["cpu_per_m"]),
                    ratio(e["cpu_util"], o["cpu_util"]), ratio(e["hwm_mb"], o["hwm_mb"])))
            cons = [r for r in groups.get((size, "-", "consumer"), []) if not r.get("error")]
            threads_rows = thread_table(rows, groups, size, conv)
            if cons:
                c = cons[0]
                rec_s = c["fetch_rec_s"]
                w("| *Kafka consumer alone* | *%s* | *%s* | | *%s* | | | | | | | |" % (
                    fmt(c["n"] / rec_s, 2), fmt_int(rec_s), fmt(c["bytes"] / (c["n"] / rec_s) / 1e6)))
            w("")
            for line in threads_rows:
                w(line)
    if failures:
        w("### Runs that did not complete")
        w("")
        for r in failures:
            w("- %s B, %s, %s, run %d: %s" % (r["size"], r["conv"], r["sink"], r["rep"], r["error"]))
        w("")
    return "\n".join(out) + "\n"


def main():
    if sys.argv[1] == "--splice":
        splice(sys.argv[2], sys.argv[3], *sys.argv[4:5])
    else:
        sys.stdout.write(render(sys.argv[1], sys.argv[2]))


if __name__ == "__main__":
    main()
