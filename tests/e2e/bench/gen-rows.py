#!/usr/bin/env python3
"""Rows for the benchmark: N JSON objects, one per line, matching the bench tables' columns.

    gen-rows.py SHAPE N OUT [FORMAT]   SHAPE is 100 (~100 B rows) or 1k (~1 KB rows); FORMAT is
                                       json (the default) or csv: the same values, tab-separated
                                       in the table's column order (StarRocks' default
                                       column_separator), one row per line; or debezium: each
                                       row as the `after` image of a Debezium create event in
                                       JsonConverter's schema/payload form (what Debezium's
                                       PostgreSQL connector writes with the worker's default
                                       converter; `ts` as io.debezium.time.MicroTimestamp);
                                       or debezium_plain: the same events without the schema,
                                       as Debezium writes them with the seed's worker setting
                                       value.converter.schemas.enable=false

Values vary from row to row (ids count up; the rest is drawn from a seeded generator), so
compression sees realistic-ish data rather than one repeated line. Prints
"rows=N bytes=B avg=A" on stdout, B being the payload bytes (newlines not counted).
"""
import random
import sys

EVENTS = ["click", "view", "buy", "share", "login", "logout", "search", "scroll"]
COUNTRIES = ["DE", "US", "FR", "BR", "IN", "JP", "CN", "GB", "NL", "SE", "PL", "ES"]
CITIES = ["Berlin", "Austin", "Lyon", "Recife", "Pune", "Osaka", "Chengdu", "Leeds", "Utrecht",
          "Malmo", "Gdansk", "Sevilla"]
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
         "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure "
         "in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
         "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est "
         "laborum").split()
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
]


def connect_type(name, value, quoted):
    """JsonConverter's schema of one bench column, as Debezium's PostgreSQL connector maps it."""
    if name == "ts":
        return {"type": "int64", "optional": True, "name": "io.debezium.time.MicroTimestamp",
                "version": 1, "field": name}
    if name == "id":
        return {"type": "int64", "optional": False, "field": name}
    if quoted:
        return {"type": "string", "optional": True, "field": name}
    if value in ("true", "false"):
        return {"type": "boolean", "optional": True, "field": name}
    if isinstance(value, str) and "." in value:
        return {"type": "double", "optional": True, "field": name}
    return {"type": "int64", "optional": True, "field": name}


SCHEMAS = {}


def debezium_event(fields, i, with_schema=True):
    """One create event for the row `fields` in JsonConverter's schema/payload form, or without
    the schema: the payload alone."""
    import calendar
    import json
    names = tuple(k for k, _, _ in fields)
    if names not in SCHEMAS:
        row = {"type": "struct", "optional": True, "name": "bench.public.rows.Value",
               "fields": [connect_type(k, v, q) for k, v, q in fields]}
        source = {"type": "struct", "optional": False, "name": "io.debezium.connector.postgresql.Source",
                  "fields": [{"type": "string", "optional": False, "field": f}
                             for f in ("version", "connector", "name")]
                  + [{"type": "int64", "optional": False, "field": "ts_ms"},
                     {"type": "string", "optional": False, "field": "db"},
                     {"type": "string", "optional": False, "field": "schema"},
                     {"type": "string", "optional": False, "field": "table"},
                     {"type": "int64", "optional": True, "field": "lsn"}]}
        schema = {"type": "struct", "optional": False, "name": "bench.public.rows.Envelope",
                  "version": 1, "fields": [dict(row, field="before"), dict(row, field="after"),
                                           dict(source, field="source"),
                                           {"type": "string", "optional": False, "field": "op"},
                                           {"type": "int64", "optional": True, "field": "ts_ms"}]}
        SCHEMAS[names] = json.dumps(schema, separators=(",", ":"))
    after = {}
    for k, v, q in fields:
        if k == "ts":
            t = calendar.timegm((int(v[0:4]), int(v[5:7]), int(v[8:10]), int(v[11:13]),
                                 int(v[14:16]), int(v[17:19])))
            after[k] = t * 1000000
        elif q:
            after[k] = v
        elif v in ("true", "false"):
            after[k] = v == "true"
        elif isinstance(v, str):
            after[k] = float(v)
        else:
            after[k] = v
    ts_ms = 1714558830000 + i
    payload = {"before": None, "after": after,
               "source": {"version": "2.7.4.Final", "connector": "postgresql", "name": "bench",
                          "ts_ms": ts_ms, "db": "postgres", "schema": "public", "table": "rows",
                          "lsn": 24023128 + 64 * i},
               "op": "c", "ts_ms": ts_ms + 7}
    if not with_schema:
        return json.dumps(payload, separators=(",", ":"))
    return '{"schema":%s,"payload":%s}' % (SCHEMAS[names],
                                            json.dumps(payload, separators=(",", ":")))


def main():
    shape, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    fmt = sys.argv[4] if len(sys.argv) > 4 else "json"
    if fmt not in ("json", "csv", "debezium", "debezium_plain"):
        sys.exit("gen-rows.py: FORMAT is json, csv, debezium or debezium_plain, not %s" % fmt)
    rnd = random.Random(20240501)
    # A pool of pre-built fragments keeps generation fast (a million rows in a few seconds).
    notes = [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(70, 90))) for _ in range(512)]
    total = 0
    with open(out, "w", buffering=1 << 20) as f:
        w = f.write
        for i in range(1, n + 1):
            r = rnd.getrandbits(48)
            ts = "2024-%02d-%02d %02d:%02d:%02d" % (1 + r % 12, 1 + (r >> 4) % 28, (r >> 9) % 24,
                                                   (r >> 14) % 60, (r >> 20) % 60)
            amount = "%d.%02d" % ((r >> 26) % 100000, (r >> 8) % 100)
            ok = "true" if r & 1 else "false"
            if shape == "100":
                # (column, value, quoted in JSON)
                fields = (("id", i, False), ("user_id", r % 1000003, False),
                          ("event", EVENTS[r % 8], True), ("amount", amount, False),
                          ("ok", ok, False), ("ts", ts, True))
            else:
                fields = (("id", i, False), ("user_id", r % 1000003, False),
                          ("session", "%012x%020x" % (r, i * 2654435761 % (1 << 80)), True),
                          ("event", EVENTS[r % 8], True),
                          ("page", "/shop/item/%d?ref=%s" % (r % 99991, EVENTS[(r >> 3) % 8]), True),
                          ("referrer", "https://www.example.com/search?q=%s+%s&page=%d"
                           % (WORDS[r % len(WORDS)], WORDS[(r >> 7) % len(WORDS)], 1 + r % 50), True),
                          ("user_agent", AGENTS[r % 4], True), ("country", COUNTRIES[r % 12], True),
                          ("city", CITIES[(r >> 5) % 12], True), ("amount", amount, False),
                          ("qty", 1 + r % 9, False), ("ok", ok, False), ("ts", ts, True),
                          ("tags", "%s,%s,%s" % (WORDS[r % 20], WORDS[(r >> 11) % 30],
                                                 WORDS[(r >> 17) % 40]), True),
                          ("note", notes[(r >> 6) % 512], True))
            if fmt == "json":
                line = "{" + ",".join(('"%s":"%s"' if q else '"%s":%s') % (k, v)
                                      for k, v, q in fields) + "}"
            elif fmt == "debezium":
                line = debezium_event(fields, i)
            elif fmt == "debezium_plain":
                line = debezium_event(fields, i, with_schema=False)
            else:
                line = "\t".join(str(v) for _, v, _ in fields)
            total += len(line)
            w(line)
            w("\n")
    print("rows=%d bytes=%d avg=%.1f" % (n, total, total / max(n, 1)))


if __name__ == "__main__":
    main()
