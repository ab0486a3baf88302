#!/usr/bin/env python3
"""Prints compare.sh's results as one table, with the ratio socketchat / best peer (and
socketchat-irc / best peer: socketchatd on its IRC listener, driven like the peers).

Input: lines "server<TAB>label<TAB>exit status<TAB>RESULT json" (see compare.sh).
"""
import json
import sys

HIGH, LOW = "higher is better", "lower is better"

# (run label, row title, json key path, direction, unit)
METRICS = [
    ("fanout100", "fanout 100u/10s unpaced: deliveries/s", "deliveries_per_s", HIGH, "count"),
    ("fanout100", "fanout 100u/10s unpaced: latency p99", "latency.p99_us", LOW, "us"),
    ("fanout100w20", "fanout 100u/10s window 20: deliveries/s", "deliveries_per_s", HIGH, "count"),
    ("fanout100w20", "fanout 100u/10s window 20: latency p50", "latency.p50_us", LOW, "us"),
    ("fanout100w20", "fanout 100u/10s window 20: latency p99", "latency.p99_us", LOW, "us"),
    ("fanout100w20slow", "  + slow reader: deliveries/s", "deliveries_per_s", HIGH, "count"),
    ("fanout100w20slow", "  + slow reader: latency p99", "latency.p99_us", LOW, "us"),
    ("fanout100w20slow", "  + slow reader: dropped by server", "slow_reader.dropped", None, "bool"),
    ("fanout500w20", "fanout 500u/5s window 20: deliveries/s", "deliveries_per_s", HIGH, "count"),
    ("fanout500w20", "fanout 500u/5s window 20: latency p99", "latency.p99_us", LOW, "us"),
    ("latency", "PING round trip, idle: p50", "rtt.p50_us", LOW, "us"),
    ("latency", "PING round trip, idle: p99", "rtt.p99_us", LOW, "us"),
    ("latencybg", "PING round trip, under fanout: p50", "rtt.p50_us", LOW, "us"),
    ("latencybg", "PING round trip, under fanout: p99", "rtt.p99_us", LOW, "us"),
    ("latencybg", "  background fanout deliveries/s", "deliveries_per_s", HIGH, "count"),
    ("conns", "conns: connect + log in all (s)", "login_s", LOW, "seconds"),
    ("conns", "conns: server RSS per connection (KiB)", "rss_per_conn_kib", LOW, "float"),
    ("conns", "conns: sample answering PING", "sample_answered", None, "count"),
    ("conns", "conns: new login after all close (s)", "teardown_s", LOW, "seconds"),
]


def lookup(result, path):
    value = result
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def show(value, unit):
    if value is None:
        return "-"
    if unit == "bool":
        return "yes" if value else "no"
    if unit == "us":
        return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.0f} us"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "seconds":
        return f"{value:.2f}"
    return f"{value:.2f}"


def main(path):
    runs = {}  # (server, label) -> (status, result)
    servers = []
    with open(path) as lines:
        for line in lines:
            server, label, status, text = line.rstrip("\n").split("\t", 3)
            runs[(server, label)] = (int(status), json.loads(text))
            if server not in servers:
                servers.append(server)
    peers = [s for s in servers if not s.startswith("socketchat")]
    ours = [s for s in servers if s.startswith("socketchat")] if peers else []

    header = ["metric"] + servers + [f"{s} / best peer" for s in ours]
    rows = []
    for label, title, key, direction, unit in METRICS:
        cells, values = [title], {}
        for server in servers:
            status, result = runs.get((server, label), (None, {}))
            value = lookup(result, key)
            values[server] = value
            cell = show(value, unit)
            if status not in (0, None):
                cell += f" FAIL({status})"
            cells.append(cell)
        known = [values[p] for p in peers if isinstance(values.get(p), (int, float))]
        for server in ours:
            ratio = "-"
            mine = values.get(server)
            if direction and isinstance(mine, (int, float)) and known:
                best = max(known) if direction == HIGH else min(known)
                if best:
                    ratio = f"{mine / best:.2f}"
            cells.append(ratio)
        rows.append(cells)

    correct = ["all runs correct (no loss, dup, reorder)"]
    for server in servers:
        bad = [label for (s, label), (status, result) in runs.items()
               if s == server and (status != 0 or result.get("ok") is False)]
        correct.append("yes" if not bad else "NO: " + ",".join(bad))
    correct += [""] * len(ours)
    rows.append(correct)
    print_table(header, rows)
    print("ratio: socketchat's value (line protocol, or socketchat-irc: IRC) / the best peer's; for "
          "deliveries/s above 1 is better, for latency, seconds and memory below 1 is better.")

    print()
    print("CPU during each run (load generator busy = its CPU time / wall time, pinned to CPU 1;")
    print("server = the server's CPU time / wall time, pinned to CPU 0):")
    labels = []
    for (_, label) in runs:
        if label not in labels:
            labels.append(label)
    header = ["run"] + [f"{s} loadgen / server" for s in servers]
    rows = []
    for label in labels:
        cells = [label]
        for server in servers:
            _, result = runs.get((server, label), (None, {}))
            wall, own, srv = result.get("wall_s"), result.get("loadgen_cpu_s"), result.get("server_cpu_s")
            if not wall:
                cells.append("-")
                continue
            text = f"{own / wall * 100:.0f} % / " + (f"{srv / wall * 100:.0f} %" if srv is not None else "-")
            if result.get("loadgen_saturated"):
                text += " (loadgen saturated)"
            cells.append(text)
        rows.append(cells)
    print_table(header, rows)


def print_table(header, rows):
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*["-" * w for w in widths]))
    for row in rows:
        print(line.format(*row))


if __name__ == "__main__":
    main(sys.argv[1])
