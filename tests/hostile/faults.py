#!/usr/bin/env python3
"""Server fault suite: generation swaps under load (one with a changed schema,
one failed build), pruning, the live generation directory taken away and
restored, SIGTERM during start-up and under load.

The indexer killed with -9 and a full disk are covered by
tests/integration/test_indexer_faults.cpp.

    tests/hostile/faults.py --indexer build/indexer/broadsheet-indexer \\
        --server build/server/broadsheet-server [--corpora ../shared/corpora]
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402
from harness import HOST, log  # noqa: E402

SWAPS = 100
SCHEMA_SWAP = 50          # this build uses a schema without the date field
FAILED_BUILD_AFTER = 30   # a build that fails (bad record) after this swap
PRUNE_GRACE = 1           # seconds; old generations go once a later build runs past it
POLL_MS = 100
READY_DEADLINE = 10.0     # /readyz must change within this after the directory goes or comes back
STOP_DEADLINE = 15.0      # --drain-timeout (10 s) plus slack
IN_FLIGHT_MARGIN = 0.10   # a request sent this long before SIGTERM has been read by the server

# Ordinary searches with facets, date filters and date sort (the parts a schema change removes).
POLITE = [
    ("oil", "&facets=tag,year"),
    ('"interest rates"', "&from=1987-01-01&to=1987-12-31"),
    ("bank", "&sort=-date&facets=tag"),
    ("trade", "&facets=year&from=1987-03-01"),
    ("gold", "&sort=date"),
]


@dataclass
class Seen:
    at: float
    status: int
    generation: str | None
    total: int | None
    code: str
    message: str
    key: str
    retry_after: bool


class Recorder:
    """Collects every polite answer with its generation, for checking afterwards."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[Seen] = []

    def check(self, extra: str):
        def record(answer: h.Answer, query: str) -> None:
            generation = total = None
            code = message = ""
            try:
                body = json.loads(answer.body) if answer.body else {}
            except ValueError:
                body = {}
            if answer.status == 200:
                generation = body.get("generation")
                total = body.get("total")
            elif isinstance(body.get("error"), dict):
                code = str(body["error"].get("code", ""))
                message = str(body["error"].get("message", ""))
            with self.lock:
                self.seen.append(Seen(time.monotonic(), answer.status, generation, total, code, message,
                                      query + extra, "retry-after" in answer.headers))
            return None
        return record


def polite_clients(port: int, recorder: Recorder) -> list[h.PoliteClient]:
    clients = []
    for query, extra in POLITE:
        clients.append(h.PoliteClient(port, [query], interval=0.02, per_connection=20, extra=extra,
                                       check=recorder.check(extra)).start())
    return clients


def schema_without_date(work: Path) -> Path:
    source = h.REPO / "schema" / "articles.json"
    schema = json.loads(source.read_text(encoding="utf-8"))
    schema["fields"] = [f for f in schema["fields"] if f.get("type") != "date"]
    schema["name"] = "articles-without-date"
    target_dir = work / "schema-nodate"
    target_dir.mkdir()
    synonyms = schema.get("synonyms")
    if synonyms:
        shutil.copy(source.parent / synonyms, target_dir / synonyms)
    target = target_dir / "articles.json"
    target.write_text(json.dumps(schema, indent=1), encoding="utf-8")
    return target


def deleted_index_fds(pid: int, root: Path) -> list[str]:
    """Descriptors the server holds on deleted files under the index root."""
    found = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith(str(root)) and target.endswith("(deleted)"):
                found.append(target)
    except OSError:
        pass
    return found


def generations(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("gen-"))


def current(root: Path) -> str:
    return (root / "CURRENT").read_text(encoding="utf-8").strip()


# ---------------------------------------------------------------- swaps

def swaps_under_load(args, work: Path, corpus: h.Corpus, failures: list[str]) -> None:
    root = work / "index"
    records = corpus.records
    nodate = schema_without_date(work)
    slices = []
    for i in range(SWAPS + 3):
        size = 40 + (i * 13) % 60
        start = (i * 97) % max(1, len(records) - size)
        path = work / f"slice-{i:03d}.jsonl"
        h.write_jsonl(path, records[start:start + size] or records[:size])
        slices.append(path)
    bad = work / "bad.jsonl"
    bad.write_text(slices[0].read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")

    _, first, _ = h.build_index(args.indexer, root, [slices[0]], prune_grace=PRUNE_GRACE, jobs=1)
    published = {first}
    server = h.Server(args.server, root, ["--poll-ms", str(POLL_MS)]).start()
    recorder = Recorder()
    clients: list[h.PoliteClient] = []
    try:
        clients = polite_clients(server.port, recorder)
        time.sleep(0.5)
        schema_window = None
        build_times = []
        build_ends = []
        t_swaps = time.monotonic()
        for i in range(1, SWAPS + 1):
            t0 = time.monotonic()
            schema = nodate if i == SCHEMA_SWAP else None
            _, generation, _ = h.build_index(args.indexer, root, [slices[i]], schema=schema,
                                             prune_grace=PRUNE_GRACE, jobs=1)
            t1 = time.monotonic()
            build_times.append(t1 - t0)
            build_ends.append(t1)
            published.add(generation)
            if i == SCHEMA_SWAP:
                schema_window = [t0, None]
            elif i == SCHEMA_SWAP + 1:
                schema_window[1] = t1 + 2 * POLL_MS / 1000 + 1.0
            if i == FAILED_BUILD_AFTER:
                before = current(root)
                status, failed_gen, output = h.build_index(args.indexer, root, [bad], check=False,
                                                           prune_grace=PRUNE_GRACE, jobs=1)
                if status == 0:
                    failures.append(f"a build with a bad record exited 0:\n{output}")
                if current(root) != before:
                    failures.append(f"a failed build changed CURRENT ({before} -> {current(root)})")
            if not server.alive():
                failures.append(f"the server died during swap {i} (exit {server.proc.returncode})")
                break
        swap_seconds = time.monotonic() - t_swaps
        time.sleep(2 * POLL_MS / 1000 + 0.5)
        for client in clients:
            client.stop()

        # Every answer: a success from a published generation, or a documented refusal.
        seen = list(recorder.seen)
        samples = [s for c in clients for s in c.samples]
        no_answer = [s for s in samples if s.status == 0]
        unpublished = sorted({s.generation for s in seen if s.status == 200 and s.generation not in published})
        busy = [s for s in seen if s.status == 503]
        busy_bare = [s for s in busy if not s.retry_after]
        schema_400 = [s for s in seen if s.status == 400 and schema_window and schema_window[1]
                      and schema_window[0] <= s.at <= schema_window[1]
                      and ("date" in s.message or "year" in s.message or "facet" in s.message)]
        other = [s for s in seen if s.status not in (200, 503) and s not in schema_400]
        totals: dict[tuple, set] = {}
        for s in seen:
            if s.status == 200:
                totals.setdefault((s.generation, s.key), set()).add(s.total)
        inconsistent = [(k, v) for k, v in totals.items() if len(v) > 1]
        served = sorted({s.generation for s in seen if s.status == 200})
        ok = sum(1 for s in seen if s.status == 200)
        log(f"swaps: {SWAPS} builds (+1 failed) in {swap_seconds:.1f} s (build p50 "
            f"{h.percentile(build_times, 0.5) * 1000:.0f} ms); polite answers: {ok} ok, {len(busy)} busy "
            f"(503), {len(schema_400)} 400 while the date-less schema was live, {len(other)} other, "
            f"{len(no_answer)} unanswered; {len(served)} generations seen answering")
        log(f"   generation dirs left: {generations(root)}")
        if len(served) < 10:
            failures.append(f"only {len(served)} generations answered searches: the swaps were not under load")
        if no_answer:
            failures.append(f"{len(no_answer)} polite requests got no answer during swaps, e.g. "
                            f"{sorted({s.error for s in no_answer})[:3]}")
        if unpublished:
            failures.append(f"answers from generations no build published: {unpublished}")
        if busy_bare:
            failures.append(f"{len(busy_bare)} 503 answers without Retry-After during swaps")
        if other:
            kinds = sorted({(s.status, s.code, s.message[:100]) for s in other})[:5]
            failures.append(f"{len(other)} failed polite requests during swaps: {kinds}")
        if inconsistent:
            failures.append(f"one generation gave different totals for one query: {inconsistent[:3]}")
        # A generation is removed once it has been retired for PRUNE_GRACE seconds, so the
        # live one and those retired by the builds of the last grace period may stay (half a
        # second more for the clock's edges); how many that is depends on the build's speed.
        recent = sum(1 for t in build_ends if t >= build_ends[-1] - PRUNE_GRACE - 0.5)
        if len(generations(root)) > recent + 2:
            failures.append(f"pruning left {len(generations(root))} generation directories "
                            f"({recent} builds ended in the last {PRUNE_GRACE} s + 0.5 s)")

        # Pruned generations freed: two builds past the grace retire everything
        # but the live generation and the one just before it.
        for _ in range(2):
            time.sleep(PRUNE_GRACE + 0.3)
            _, generation, _ = h.build_index(args.indexer, root, [slices[SWAPS + 1]], prune_grace=PRUNE_GRACE, jobs=1)
            published.add(generation)
        time.sleep(2 * POLL_MS / 1000 + 0.3)
        for _ in range(3):
            for query, extra in POLITE:
                h.request(server.port, "/search?" + urllib.parse.urlencode({"q": query}) + extra)
        time.sleep(0.5)
        held = deleted_index_fds(server.proc.pid, root)
        log(f"   after pruning: {len(held)} descriptors held on deleted index files "
            f"(dirs left: {generations(root)})")
        if held:
            failures.append(f"the server keeps {len(held)} deleted index files open after their generation "
                            f"was pruned (disk not freed), e.g. {held[:2]}")

        live_directory_gone(server, root, failures)
        if not server.alive():
            failures.append("the server died")
        status = server.stop(STOP_DEADLINE)
        if status != 0:
            failures.append(f"the server exited {status} after SIGTERM")
        failures += [f"access log: {p}" for p in log_problems(server.log_since(0))]
    finally:
        for client in clients:
            client.stop()
        server.kill()


def log_problems(lines: list[bytes]) -> list[str]:
    return [f"raw control character: {line[:120]!r}" for line in h.control_characters(lines)[:3]]


def wait_ready(port: int, want: int, seconds: float) -> tuple[bool, float]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if h.get_status(port, "/readyz", timeout=2) == want:
            return True, time.monotonic() - t0
        time.sleep(0.05)
    return False, time.monotonic() - t0


def live_directory_gone(server: h.Server, root: Path, failures: list[str]) -> None:
    """The live generation directory renamed away and back, then deleted and
    restored from a copy: /readyz follows without a restart; searches are
    answered or refused with 503 + Retry-After, never a 500."""
    live = root / current(root)
    searches: list[h.Answer] = []

    def probe() -> None:
        searches.append(h.request(server.port, "/search?q=oil&facets=tag", timeout=5))

    for how in ("renamed away", "deleted"):
        copy = root.parent / f"copy-of-{live.name}"
        if how == "renamed away":
            live.rename(copy)
        else:
            shutil.copytree(live, copy)
            shutil.rmtree(live)
        went, took_down = wait_ready(server.port, 503, READY_DEADLINE)
        probe()
        if how == "renamed away":
            copy.rename(live)
        else:
            shutil.copytree(copy, live)
            shutil.rmtree(copy)
        came, took_up = wait_ready(server.port, 200, READY_DEADLINE)
        probe()
        log(f"live directory {how}: /readyz 503 {'after %.2f s' % took_down if went else 'never'}, "
            f"200 again {'after %.2f s' % took_up if came else 'never'}")
        if not went:
            failures.append(f"live generation directory {how}: /readyz still 200 after {READY_DEADLINE:.0f} s "
                            f"(it must say 503 when the served index cannot be opened)")
        if not came:
            failures.append(f"live generation directory {how} and restored: /readyz not 200 within "
                            f"{READY_DEADLINE:.0f} s")
        if not server.alive():
            failures.append(f"the server died when the live directory was {how}")
            return
    after = h.request(server.port, "/search?q=oil&facets=tag", timeout=5)
    searches.append(after)
    for answer in searches:
        problem = h.server_error_problem(answer.status, answer.headers)
        if problem or answer.status == 0:
            failures.append(f"a search with the live directory gone or back: {problem or answer.error}")
    if after.status != 200:
        failures.append(f"a search after the directory came back answered {after.status}")


# ---------------------------------------------------------------- signals

def takes_sigterm(pid: int) -> bool:
    """Whether the process blocks or catches SIGTERM yet (before main() it does neither)."""
    bit = 1 << (signal.SIGTERM - 1)
    try:
        with open(f"/proc/{pid}/status", "r", encoding="ascii") as status:
            for line in status:
                if line.startswith(("SigBlk:", "SigCgt:")) and int(line.split()[1], 16) & bit:
                    return True
    except OSError:
        pass
    return False


def sigterm_at_start(args, root: Path, failures: list[str]) -> None:
    for delay in (0.0, 0.003, 0.008, 0.015, 0.03, 0.06, 0.12):
        server = h.Server(args.server, root)
        try:
            server.spawn()
            time.sleep(delay)
            handled = takes_sigterm(server.proc.pid)
            listening = server.port != 0
            t0 = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            try:
                status = server.proc.wait(STOP_DEADLINE)
                took = time.monotonic() - t0
            except subprocess.TimeoutExpired:
                status, took = None, STOP_DEADLINE
            log(f"SIGTERM {delay * 1000:.0f} ms after spawn: exit {status} after {took:.2f} s "
                f"({'SIGTERM taken by the server' if handled else 'SIGTERM not yet taken: default action'}"
                f"{', had started listening' if listening else ''})")
            # Before the server takes SIGTERM over, the default action (death by the
            # signal) is as good as a clean exit; after, it must exit 0.
            acceptable = (0,) if handled else (0, -signal.SIGTERM)
            if status is None:
                failures.append(f"SIGTERM {delay * 1000:.0f} ms after start-up was lost: still running after "
                                f"{STOP_DEADLINE:.0f} s")
            elif status not in acceptable:
                failures.append(f"SIGTERM {delay * 1000:.0f} ms after start-up: exit status {status}, not 0")
        finally:
            server.kill()


def sigterm_under_load(args, root: Path, failures: list[str]) -> None:
    server = h.Server(args.server, root).start()
    lock = threading.Lock()
    results: list[tuple[float, float, int, str]] = []  # sent, done, status, error
    stop = threading.Event()
    # Searches over most of the index with facets and full pages: tens of
    # milliseconds each, so with 40 clients and a few search slots there is
    # always a queue, and requests are in flight when the signal comes.
    targets = [
        "/search?" + urllib.parse.urlencode({"q": "said year company pct mln dlrs", "op": "or",
                                             "format": "html", "facets": "tag,year", "size": "50"}),
        "/search?" + urllib.parse.urlencode({"q": "said the company", "op": "or", "facets": "tag,year",
                                             "size": "100"}),
        "/search?" + urllib.parse.urlencode({"q": "oil prices rose", "op": "or", "facets": "tag,year",
                                             "size": "100"}),
    ]

    def client(index: int) -> None:
        for n in range(100_000):
            if stop.is_set():
                break
            conn = http.client.HTTPConnection(HOST, server.port, timeout=STOP_DEADLINE + 5)
            try:
                sent = time.monotonic()
                try:
                    conn.request("GET", targets[(index + n) % len(targets)])
                except OSError as error:  # refused: the server stopped listening
                    with lock:
                        results.append((sent, time.monotonic(), -1, str(error)))
                    break
                try:
                    response = conn.getresponse()
                    response.read()
                    status, error = response.status, ""
                except (OSError, http.client.HTTPException) as error_:
                    status, error = 0, f"{type(error_).__name__}: {error_}"
                with lock:
                    results.append((sent, time.monotonic(), status, error))
            finally:
                conn.close()

    # Slow readers: a 100-hit page (about 90 KB) read 2 KB every 20 ms through a
    # 4 KB receive window, so the server is still writing it when the signal
    # comes. An answer whose head arrived before the signal must arrive whole.
    slow_target = "/search?" + urllib.parse.urlencode({"q": "said", "op": "or", "size": "100",
                                                       "snippet_length": "1000"})
    slow: list[tuple[float, float | None, float, bool, str]] = []  # sent, head at, done, whole, error

    def slow_reader() -> None:
        for _ in range(1000):
            if stop.is_set():
                break
            sent = time.monotonic()
            head_at = None
            whole, error = False, ""
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.settimeout(STOP_DEADLINE + 5)
                with sock:
                    sock.connect((HOST, server.port))
                    sock.sendall(f"GET {slow_target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 f"Connection: close\r\n\r\n".encode())
                    data = bytearray()
                    while True:
                        chunk = sock.recv(2048)
                        if not chunk:
                            break
                        data += chunk
                        if head_at is None and b"\r\n\r\n" in data:
                            head_at = time.monotonic()
                        if h.answer_complete(bytes(data)):
                            whole = True
                            break
                        time.sleep(0.02)
            except OSError as error_:
                error = f"{type(error_).__name__}: {error_}"
            with lock:
                slow.append((sent, head_at, time.monotonic(), whole, error))
            if head_at is None:
                break  # refused: the server has stopped

    threads = [threading.Thread(target=client, args=(i,)) for i in range(40)]
    threads += [threading.Thread(target=slow_reader) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        t_signal = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        try:
            status = server.proc.wait(STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            status = None
        took = time.monotonic() - t_signal
        stop.set()
        for thread in threads:
            thread.join(STOP_DEADLINE + 10)
        with lock:
            done = list(results)
        before = [r for r in done if r[0] < t_signal - IN_FLIGHT_MARGIN]
        in_flight = [r for r in before if r[1] >= t_signal]
        lost = [r for r in before if r[2] == 0]
        with lock:
            slow_done = list(slow)
        writing = [r for r in slow_done if r[1] is not None and r[1] < t_signal <= r[2]]
        cut = [r for r in slow_done if r[1] is not None and r[1] < t_signal and not r[3]]
        log(f"   slow readers: {len(slow_done)} answers, {len(writing)} being written at the signal, "
            f"{len(cut)} of those cut short")
        in_flight += writing
        if cut:
            failures.append(f"SIGTERM under load: {len(cut)} answers being written at the signal were cut "
                            f"short, e.g. {sorted({r[4] or 'closed early' for r in cut})[:3]}")
        bad = [r for r in done if r[2] > 0 and h.server_error_problem(r[2], {"retry-after": "?"})]
        log(f"SIGTERM under load: exit {status} after {took:.2f} s; {len(done)} requests, "
            f"{len(in_flight)} in flight at the signal, {len(lost)} of those sent before it lost")
        if status is None:
            failures.append(f"SIGTERM under load: still running after {STOP_DEADLINE:.0f} s")
        elif status != 0:
            failures.append(f"SIGTERM under load: exit status {status}, not 0")
        if lost:
            failures.append(f"SIGTERM under load: {len(lost)} requests sent at least "
                            f"{IN_FLIGHT_MARGIN * 1000:.0f} ms before the signal got no answer, e.g. "
                            f"{sorted({r[3] for r in lost})[:3]}")
        if bad:
            failures.append(f"SIGTERM under load: answers {sorted({r[2] for r in bad})}")
        if not in_flight:
            failures.append("SIGTERM under load: no request was in flight at the signal, so the drain "
                            "was not exercised (make the load heavier)")
    finally:
        stop.set()
        server.kill()


def main() -> int:
    parser = h.common_arguments(__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3000, help="Reuters records to draw slices from")
    parser.add_argument("--only", default="", help="swaps, signals")
    args = parser.parse_args()
    started = time.monotonic()
    h.raise_own_fd_limit(4096)
    work = h.make_temp_root("broadsheet-faults-")
    failures: list[str] = []
    try:
        corpus = h.load_corpus(args.corpora, work, args.records)
        log(f"corpus: {corpus.name}")
        if not args.only or args.only == "swaps":
            swaps_under_load(args, work, corpus, failures)
        if not args.only or args.only == "signals":
            root = work / "signals-index"
            h.build_index(args.indexer, root, [corpus.path])
            sigterm_at_start(args, root, failures)
            sigterm_under_load(args, root, failures)
        log(f"\nsuite ran {time.monotonic() - started:.1f} s")
    finally:
        h.remove_tree(work, args.keep)
    return h.fail_summary(failures)


if __name__ == "__main__":
    sys.exit(main())
