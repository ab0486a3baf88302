#!/usr/bin/env python3
"""Prints compare.sh's results as one table, with the ratio socketchat / best peer (and
socketchat-irc / best peer: socketchatd on its IRC listener, driven like the peers), and,
when both ran, socketchat-defaults / socketchat (the daemon as shipped against it with
history off) and socketchat-tls / socketchat ("tls / tcp": the same daemon over TLS
against it over plain TCP). socketchat-tls and socketchat-ws (the same daemon over
WebSocket) have columns of their own but no ratio to the best peer. Any subset of the
servers may have run: a column whose servers did not run is left out.

Input: lines "server<TAB>label<TAB>exit status<TAB>RESULT json" (see compare.sh). A
scenario that ran several times (compare.sh's rounds) shows the median of its figures.
"""
import json
import statistics
import sys

HIGH, LOW = "higher is better", "lower is better"

# socketchatd exactly as "socketchat" but over another transport (compare.sh).
OTHER_TRANSPORTS = ("socketchat-tls", "socketchat-ws")

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
    ("conns", "  the same at the last login (KiB)", "rss_at_once_per_conn_kib", LOW, "float"),
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


def median(values):
    """The median of the numbers among values (booleans count as 0 and 1), or None."""
    numbers = [float(v) for v in values if isinstance(v, (int, float))]
    if not numbers:
        return None
    middle = statistics.median(numbers)
    return bool(middle >= 0.5) if all(isinstance(v, bool) for v in values if v is not None) else middle


def ratio_of(mine, base, direction):
    """mine / base as a table cell, or "-" for a row without a direction or a figure missing."""
    useful = direction and isinstance(mine, (int, float)) and isinstance(base, (int, float))
    return f"{mine / base:.2f}" if useful and base else "-"


def main(path):
    runs = {}  # (server, label) -> [(status, result), ...], one per round
    servers = []
    with open(path) as lines:
        for line in lines:
            server, label, status, text = line.rstrip("\n").split("\t", 3)
            runs.setdefault((server, label), []).append((int(status), json.loads(text)))
            if server not in servers:
                servers.append(server)
    peers = [s for s in servers if not s.startswith("socketchat")]
    # socketchatd over another transport is measured against itself over TCP, not the peers.
    ours = [s for s in servers if s.startswith("socketchat") and s not in OTHER_TRANSPORTS] if peers else []
    shipped = "socketchat-defaults" in servers and "socketchat" in servers
    tls = "socketchat-tls" in servers and "socketchat" in servers

    rounds = max(len(r) for (_, label), r in runs.items() if label != "conns") if runs else 0
    if rounds > 1:
        print(f"Each figure is the median of {rounds} rounds (conns: one run).")
    header = ["metric"] + servers + [f"{s} / best peer" for s in ours]
    if shipped:
        header.append("defaults / history off")
    if tls:
        header.append("tls / tcp")
    rows = []
    for label, title, key, direction, unit in METRICS:
        cells, values = [title], {}
        for server in servers:
            done = runs.get((server, label), [])
            value = median([lookup(result, key) for _, result in done])
            values[server] = value
            cell = show(value, unit)
            failed = [status for status, _ in done if status != 0]
            if failed:
                cell += f" FAIL({failed[0]})"
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
        if shipped:
            cells.append(ratio_of(values.get("socketchat-defaults"), values.get("socketchat"), direction))
        if tls:
            cells.append(ratio_of(values.get("socketchat-tls"), values.get("socketchat"), direction))
        rows.append(cells)

    correct = ["all runs correct (no loss, dup, reorder)"]
    for server in servers:
        bad = [label for (s, label), done in runs.items() for status, result in done
               if s == server and (status != 0 or result.get("ok") is False)]
        correct.append("yes" if not bad else "NO: " + ",".join(sorted(set(bad))))
    correct += [""] * (len(header) - len(correct))
    rows.append(correct)
    print_table(header, rows)
    print("ratio: socketchat's value (line protocol, or socketchat-irc: IRC) / the best peer's; for "
          "deliveries/s above 1 is better, for latency, seconds and memory below 1 is better.")
    if tls:
        print("tls / tcp: socketchat-tls's value / socketchat's (the same daemon and flags, over TLS "
              "against plain TCP), read the same way.")

    print()
    print("CPU during each run (load generator busy = its CPU time / wall time, pinned to CPU 1;")
    print("server = the server's CPU time / wall time, pinned to CPU 0; medians over the rounds):")
    labels = []
    for (_, label) in runs:
        if label not in labels:
            labels.append(label)
    header = ["run"] + [f"{s} loadgen / server" for s in servers]
    rows = []
    for label in labels:
        cells = [label]
        for server in servers:
            done = [result for _, result in runs.get((server, label), []) if result.get("wall_s")]
            if not done:
                cells.append("-")
                continue
            own = median([r.get("loadgen_cpu_s", 0) / r["wall_s"] for r in done])
            srv = median([r["server_cpu_s"] / r["wall_s"] for r in done if r.get("server_cpu_s") is not None])
            text = f"{own * 100:.0f} % / " + (f"{srv * 100:.0f} %" if srv is not None else "-")
            saturated = sum(1 for r in done if r.get("loadgen_saturated"))
            if saturated:
                text += f" (loadgen saturated {saturated}/{len(done)})"
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
