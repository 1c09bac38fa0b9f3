#!/usr/bin/python3
"""echo_plot.py — the plots of scripts/bench echo.

usage: echo_plot.py CSV OUTDIR [SUBTITLE]

CSV is the median table scripts/bench echo writes (one row per connection
count and server configuration: connections, config, kind, procs, label, rps,
p50_us, p99_us, threads, rss_kb, setup_s). Writes into OUTDIR:
  echo_rps.png         requests per second against connections
  echo_p99.png         p99 latency against connections (log scale)
  echo_threads_rss.png server kernel threads and VmRSS against connections
One line per server configuration: a colour per server kind (native threads,
libgmp, Go, epoll), a line style per GOMAXPROCS value. Needs Debian's
python3-matplotlib; draws off screen (Agg).
"""
import csv
import sys

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after use())

COLOURS = {"native": "#444444", "libgmp": "#1f5fbf", "go": "#2a9d5c", "epoll": "#d9822b"}
STYLES = ["--", "-", "-.", ":"]  # by the position of P among the values measured
MARKERS = {"native": "s", "libgmp": "o", "go": "^", "epoll": "D"}


def load(path):
    rows = list(csv.DictReader(open(path, newline="")))
    configs = []
    for r in rows:
        if r["config"] not in configs:
            configs.append(r["config"])
    procs = sorted({int(r["procs"]) for r in rows if r["procs"]})
    return rows, configs, procs


def series(rows, config, field, scale):
    pts = sorted((int(r["connections"]), float(r[field]) * scale) for r in rows if r["config"] == config)
    return [p[0] for p in pts], [p[1] for p in pts]


def draw(ax, rows, configs, procs, field, scale, ylabel, logy):
    for cfg in configs:
        first = next(r for r in rows if r["config"] == cfg)
        kind = first["kind"]
        style = "-" if not first["procs"] else STYLES[procs.index(int(first["procs"])) % len(STYLES)]
        if len(procs) == 1:
            style = "-"
        xs, ys = series(rows, cfg, field, scale)
        ax.plot(xs, ys, style, color=COLOURS.get(kind, "black"), marker=MARKERS.get(kind, "o"),
                markersize=5, linewidth=1.6, label=first["label"])
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    xs = sorted({int(r["connections"]) for r in rows})
    ax.set_xticks(xs)
    ax.set_xticklabels([str(x) for x in xs])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("connections")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: echo_plot.py CSV OUTDIR [SUBTITLE]")
    rows, configs, procs = load(sys.argv[1])
    out = sys.argv[2]
    sub = sys.argv[3] if len(sys.argv) > 3 else ""
    if not rows:
        sys.exit("echo_plot.py: no rows")

    def single(name, field, scale, ylabel, title, logy):
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        draw(ax, rows, configs, procs, field, scale, ylabel, logy)
        ax.set_title(title + (f"\n({sub})" if sub else ""), fontsize=10)
        ax.legend(fontsize=8, ncol=2)
        fig.tight_layout()
        fig.savefig(f"{out}/{name}", dpi=100)
        plt.close(fig)

    single("echo_rps.png", "rps", 1.0, "requests per second", "Echo server throughput", False)
    single("echo_p99.png", "p99_us", 1e-3, "p99 latency (ms, log scale)", "Echo server p99 round-trip latency", True)

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    draw(a1, rows, configs, procs, "threads", 1.0, "kernel threads (peak, log scale)", True)
    a1.set_title("Server kernel threads", fontsize=10)
    draw(a2, rows, configs, procs, "rss_kb", 1 / 1024, "VmRSS (peak, MiB)", False)
    a2.set_title("Server resident memory", fontsize=10)
    a2.legend(fontsize=8, ncol=2)
    if sub:
        fig.suptitle(sub, fontsize=9)
    fig.tight_layout()
    fig.savefig(f"{out}/echo_threads_rss.png", dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
