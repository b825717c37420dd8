#!/usr/bin/env python3
"""Long-article snippet benchmark: /search latency with snippets over long texts.

Starts each given broadsheet-server binary on an ephemeral loopback port over the
same index (or its own), then sends the queries of a query file one at a time (one
keep-alive connection per server), taking turns between the servers query by query
so that load from elsewhere on the machine falls on all of them alike. Prints
p50/p90/p99 per server and query kind, the server's CPU time per request (user +
system time over the measured requests: far less disturbed by other load than
latency), and a checksum of every hit's id, title_html and snippet_html per server
(equal checksums: the same hits and snippets).

    tests/bench/long_articles.py --index DATA/index \\
        --server before=/path/to/old/broadsheet-server \\
        --server after=build/server/broadsheet-server@/path/to/index/built/by/the/new/indexer

The default query file, sotu-queries.txt, is for the State of the Union corpus
that scripts/demo indexes (articles of 40-200 KB). Each line is "KIND<TAB>QUERY".
Not part of the test suite: it measures, it does not pass or fail.
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

# Searches are measured, not the result cache (which would answer every repeated query):
# servers start with it off unless BENCH_RESULT_CACHE_MB sets its size.
os.environ["BROADSHEET_RESULT_CACHE_MB"] = os.environ.get("BENCH_RESULT_CACHE_MB", "0")

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True, help="index root the servers serve")
    parser.add_argument("--server", action="append", required=True, metavar="LABEL=BINARY[@INDEX]",
                        help="a server binary to measure, with its own index root if given (repeatable)")
    parser.add_argument("--queries", default=os.path.join(HERE, "sotu-queries.txt"),
                        help="query file, KIND<TAB>QUERY per line")
    parser.add_argument("--rounds", type=int, default=20, help="passes over the query file (default 20)")
    parser.add_argument("--params", default="size=10", help="extra /search parameters (default size=10)")
    parser.add_argument("--out", help="also write the markdown table here")
    return parser.parse_args()


def read_queries(path):
    queries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            kind, _, query = line.partition("\t")
            queries.append((kind, query))
    return queries


class Server:
    def __init__(self, label, binary, index):
        self.label = label
        self.log = tempfile.NamedTemporaryFile(prefix="broadsheet-long-", suffix=".log", delete=False)
        self.process = subprocess.Popen([binary, "--index", index, "--host", "127.0.0.1", "--port", "0"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self._wait_until_ready()

    def _wait_for_port(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open(self.log.name, encoding="utf-8", errors="replace") as f:
                found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"long_articles: {self.label} did not report its port (log: {self.log.name})")

    def _wait_until_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, _ = self.get("/readyz")
            if status == 200:
                return
            time.sleep(0.05)
        raise SystemExit(f"long_articles: {self.label} not ready within 60 s")

    def get(self, path):
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        return response.status, response.read()

    def cpu_seconds(self):
        """User + system CPU time of the server process so far."""
        with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.connection.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.unlink(self.log.name)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main():
    args = parse_args()
    queries = read_queries(args.queries)
    servers = []
    try:
        for spec in args.server:
            label, _, binary = spec.partition("=")
            binary, _, index = binary.partition("@")
            servers.append(Server(label, binary, index or args.index))
        paths = [f"/search?q={urllib.parse.quote_plus(q)}&{args.params}" for _, q in queries]
        checksums = {}
        # One unmeasured pass: the checksum, and the index in the page cache.
        for server in servers:
            digest = hashlib.sha256()
            for path in paths:
                status, body = server.get(path)
                if status != 200:
                    raise SystemExit(f"long_articles: {server.label}: {path} answered {status}")
                for hit in json.loads(body)["hits"]:
                    for key in ("id", "title_html", "snippet_html"):
                        digest.update(str(hit.get(key, "")).encode() + b"\0")
            checksums[server.label] = digest.hexdigest()[:16]
        times = {(s.label, kind): [] for s in servers for kind, _ in queries}
        cpu_before = {s.label: s.cpu_seconds() for s in servers}
        for round_number in range(args.rounds):
            for i, path in enumerate(paths):
                # Alternate which server goes first.
                order = servers if (round_number + i) % 2 == 0 else list(reversed(servers))
                for server in order:
                    start = time.perf_counter()
                    status, _ = server.get(path)
                    elapsed = (time.perf_counter() - start) * 1000
                    if status != 200:
                        raise SystemExit(f"long_articles: {server.label}: {path} answered {status}")
                    times[(server.label, queries[i][0])].append(elapsed)
        cpu = {s.label: s.cpu_seconds() - cpu_before[s.label] for s in servers}
    finally:
        for server in servers:
            server.stop()

    load = open("/proc/loadavg").read().split()[:3]
    lines = [f"{len(queries)} queries x {args.rounds} rounds, 1 connection, {args.params}; "
             f"load average {' '.join(load)}", "",
             "| server | kind | requests | p50 ms | p90 ms | p99 ms | mean ms | CPU ms/request | snippet checksum |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    kinds = list(dict.fromkeys(kind for kind, _ in queries))
    for server in servers:
        for kind in kinds + ["all"]:
            values = [t for (label, k), ts in times.items() if label == server.label and (k == kind or kind == "all")
                      for t in ts]
            # The server's CPU time is only known for the whole run.
            per_request = f"{cpu[server.label] * 1000 / (len(paths) * args.rounds):.2f}" if kind == "all" else ""
            lines.append(f"| {server.label} | {kind} | {len(values)} | {statistics.median(values):.2f} | "
                         f"{percentile(values, 90):.2f} | {percentile(values, 99):.2f} | "
                         f"{statistics.fmean(values):.2f} | {per_request} | {checksums[server.label]} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
