"""Shared pieces of the hostile-client and server-fault suites.

Python 3 standard library only. Everything talks to 127.0.0.1; every loop is
bounded in count and in time; the server and the indexer are started here and
killed in `finally` blocks by the callers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
MiB = 1024 * 1024

# The descriptor limit a server gets from a default Linux login or systemd unit
# (soft 1024): the server is started with it, so that raising its own limit
# (or coping without) is part of what is tested.
SERVER_NOFILE_SOFT = 1024


def log(message: str) -> None:
    print(message, flush=True)


def common_arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--indexer", required=True, help="broadsheet-indexer binary")
    parser.add_argument("--server", required=True, help="broadsheet-server binary")
    parser.add_argument("--corpora", default=str(REPO.parent / "shared" / "corpora"),
                        help="directory holding reuters21578.jsonl (fixtures are used without it)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser


def raise_own_fd_limit(wanted: int = 4096) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------- corpus

@dataclass
class Corpus:
    name: str            # what was used, for the output
    records: list[dict]  # parsed records
    path: Path           # JSONL file with exactly these records


def load_corpus(corpora_dir: str, workdir: Path, limit: int) -> Corpus:
    reuters = Path(corpora_dir) / "reuters21578.jsonl"
    records: list[dict] = []
    if reuters.is_file():
        with reuters.open("r", encoding="utf-8") as source:
            for line in source:
                if len(records) >= limit:
                    break
                line = line.strip()
                if line:
                    records.append(json.loads(line))
        name = f"Reuters-21578 ({len(records)} first records of {reuters})"
    else:
        with (FIXTURES / "articles.jsonl").open("r", encoding="utf-8") as source:
            fixtures = [json.loads(line) for line in source if line.strip()]
        # Copies under new ids, so that searches cost about what they would on a real corpus.
        for n in range(limit):
            record = dict(fixtures[n % len(fixtures)])
            record["id"] = f"{record['id']}-{n // len(fixtures)}"
            records.append(record)
        name = (f"tests/fixtures/articles.jsonl ({len(fixtures)} records copied to {len(records)}; "
                f"{reuters} not found)")
    path = workdir / "corpus.jsonl"
    write_jsonl(path, records)
    return Corpus(name, records, path)


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")


SUMMARY = re.compile(r"\((gen-[0-9]+)\)\s*$")


def build_index(indexer: str, root: Path, inputs: list[Path], *, schema: Path | None = None,
                prune_grace: int | None = None, timeout: float = 120.0, jobs: int | None = None,
                check: bool = True) -> tuple[int, str | None, str]:
    """Runs `broadsheet-indexer build`; returns (exit status, published generation, output)."""
    command = [indexer, "build", "--index", str(root)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    for path in inputs:
        command += ["--input", str(path)]
    if schema is not None:
        command += ["--schema", str(schema)]
    if prune_grace is not None:
        command += ["--prune-grace", str(prune_grace)]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)
    output = done.stdout.decode("utf-8", "replace")
    generation = None
    for line in output.splitlines():
        match = SUMMARY.search(line)
        if match and line.startswith("indexed "):
            generation = match.group(1)
    if check and (done.returncode != 0 or generation is None):
        raise RuntimeError(f"indexer failed ({done.returncode}):\n{output}")
    return done.returncode, generation, output


# --------------------------------------------------------------------------- server

class Server:
    """The real broadsheet-server on 127.0.0.1, port 0, with its log captured."""

    def __init__(self, binary: str, index_root: Path, extra: list[str] | None = None,
                 env: dict[str, str] | None = None):
        self.binary = binary
        self.index_root = index_root
        self.extra = extra or []
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.lines: list[bytes] = []     # every line of stdout+stderr, raw
        self.lines_lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._listening = threading.Event()

    def spawn(self) -> subprocess.Popen:
        def limits() -> None:
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            soft = SERVER_NOFILE_SOFT if hard == resource.RLIM_INFINITY else min(SERVER_NOFILE_SOFT, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

        environment = dict(os.environ)
        for key in list(environment):
            if key.startswith("BROADSHEET_"):
                del environment[key]  # only what the test chooses
        if self.env:
            environment.update(self.env)
        command = [self.binary, "--index", str(self.index_root), "--host", HOST, "--port", "0"] + self.extra
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=environment, preexec_fn=limits)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self.proc

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        pattern = re.compile(rb"listening on http://127\.0\.0\.1:([0-9]+)")
        for line in self.proc.stdout:
            with self.lines_lock:
                self.lines.append(line)
            if not self._listening.is_set():
                match = pattern.search(line)
                if match:
                    self.port = int(match.group(1))
                    self._listening.set()

    def start(self, timeout: float = 30.0) -> "Server":
        self.spawn()
        deadline = time.monotonic() + timeout
        while not self._listening.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + self.log_text())
        # Ready once an index is open (the watcher may still be opening it).
        wait_until(lambda: get_status(self.port, "/readyz") == 200, 30.0, "the server never became ready")
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def rss_bytes(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/status", "r", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, AttributeError):
            pass
        return 0

    def log_count(self) -> int:
        with self.lines_lock:
            return len(self.lines)

    def log_since(self, start: int) -> list[bytes]:
        with self.lines_lock:
            return list(self.lines[start:])

    def log_text(self) -> str:
        with self.lines_lock:
            return b"".join(self.lines[-60:]).decode("utf-8", "replace")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.kill()

    def kill(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self._reader is not None:
            self._reader.join(5)
        return self.proc.returncode


def control_characters(lines: list[bytes]) -> list[bytes]:
    """Log lines holding a raw control character (anything below 0x20 but the newline, or DEL)."""
    bad = []
    for line in lines:
        body = line[:-1] if line.endswith(b"\n") else line
        if any(b < 0x20 or b == 0x7F for b in body):
            bad.append(body)
    return bad


class RssSampler:
    """Samples the server's VmRSS every 50 ms; `peak()` since the last `reset()`."""

    def __init__(self, server: Server):
        self.server = server
        self._peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "RssSampler":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            rss = self.server.rss_bytes()
            with self._lock:
                self._peak = max(self._peak, rss)

    def reset(self) -> None:
        with self._lock:
            self._peak = self.server.rss_bytes()

    def peak(self) -> int:
        with self._lock:
            return max(self._peak, self.server.rss_bytes())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


# --------------------------------------------------------------------------- HTTP

def wait_until(predicate, timeout: float, message: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(interval)
    raise AssertionError(message)


@dataclass
class Answer:
    status: int                 # 0 when no complete HTTP answer came back
    headers: dict[str, str]
    body: bytes
    error: str = ""
    truncated: bool = False     # body longer than the caller's cap


def request(port: int, target: str, *, method: str = "GET", headers: dict | None = None,
            timeout: float = 5.0, max_body: int = 8 * MiB,
            conn: http.client.HTTPConnection | None = None) -> Answer:
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        body = response.read(max_body + 1)
        truncated = len(body) > max_body
        if truncated:
            conn.close()
        names = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, names, body[:max_body], truncated=truncated)
    except (OSError, http.client.HTTPException) as error:
        if conn is not None:
            conn.close()
        return Answer(0, {}, b"", error=f"{type(error).__name__}: {error}")
    finally:
        if own and conn is not None:
            conn.close()


def get_status(port: int, target: str, timeout: float = 2.0) -> int:
    return request(port, target, timeout=timeout).status


def raw_exchange(port: int, payload: bytes, timeout: float = 5.0, max_bytes: int = 4 * MiB) -> bytes:
    """Sends raw bytes on a new connection and returns what comes back until close or timeout."""
    received = bytearray()
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        try:
            sock.sendall(payload)
            deadline = time.monotonic() + timeout
            while len(received) <= max_bytes and time.monotonic() < deadline:
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
                if answer_complete(bytes(received)):
                    break
        except OSError:
            pass
    return bytes(received)


def answer_complete(data: bytes) -> bool:
    """True once `data` holds a whole HTTP answer with a Content-Length (or none expected)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = data[:end].decode("latin-1").lower()
    match = re.search(r"\r\ncontent-length:\s*([0-9]+)", head)
    if match is not None:
        return len(data) >= end + 4 + int(match.group(1))
    if "transfer-encoding: chunked" in head:
        return data.endswith(b"0\r\n\r\n")
    return head.startswith(("http/1.1 204", "http/1.1 304", "http/1.0 204", "http/1.0 304"))


def parse_status(data: bytes) -> tuple[int, dict[str, str]]:
    """Status and headers of the first answer in raw bytes; (0, {}) when there is none."""
    end = data.find(b"\r\n\r\n")
    head = data[:end if end >= 0 else len(data)].decode("latin-1")
    lines = head.split("\r\n")
    match = re.match(r"HTTP/1\.[01] ([0-9]{3})", lines[0]) if lines else None
    if not match:
        return 0, {}
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return int(match.group(1)), headers


def server_error_problem(status: int, headers: dict[str, str]) -> str | None:
    """None if the answer is acceptable for bad or hostile input, else why not."""
    if status >= 500 and status != 503:
        return f"answered {status}"
    if status == 503 and "retry-after" not in headers:
        return "503 without Retry-After"
    return None


# --------------------------------------------------------------------------- polite client

NO_RETRY_AFTER = "503 without Retry-After"


@dataclass
class Sample:
    started: float    # time.monotonic() when the request was sent
    latency: float    # seconds
    status: int       # 0: no answer (refused, reset, timed out)
    error: str = ""


class PoliteClient:
    """One person searching: ordinary keyword and phrase queries over keep-alive,
    a new connection every `per_connection` requests (people arrive on new
    connections), paced so that it measures the server rather than loading it."""

    def __init__(self, port: int, queries: list[str], *, interval: float = 0.02,
                 per_connection: int = 10, timeout: float = 5.0, extra: str = "",
                 check=None, max_requests: int = 200_000):
        self.port = port
        self.queries = queries
        self.interval = interval
        self.per_connection = per_connection
        self.timeout = timeout
        self.extra = extra
        self.check = check          # optional callback(answer, query) -> problem or None
        self.max_requests = max_requests
        self.samples: list[Sample] = []
        self.problems: list[str] = []
        self.in_flight_since: float | None = None   # start of the request being made now
        self.on_start = None                          # optional callback(started)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "PoliteClient":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 5)

    def _run(self) -> None:
        conn = None
        used = 0
        count = 0
        while not self._stop.is_set() and count < self.max_requests:
            query = self.queries[count % len(self.queries)]
            count += 1
            if conn is None or used >= self.per_connection:
                if conn is not None:
                    conn.close()
                conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                used = 0
            target = "/search?" + urllib.parse.urlencode({"q": query}) + self.extra
            started = time.monotonic()
            with self._lock:
                self.in_flight_since = started
            if self.on_start is not None:
                self.on_start(started)
            answer = request(self.port, target, conn=conn, headers={"Accept": "application/json"})
            used += 1
            latency = time.monotonic() - started
            if answer.status == 0:
                conn = None
            elif answer.headers.get("connection", "").lower() == "close":
                conn.close()
                conn = None
            if self.check is not None and answer.status:
                problem = self.check(answer, query)
                if problem:
                    with self._lock:
                        self.problems.append(problem)
            error = answer.error
            if answer.status == 503 and "retry-after" not in answer.headers:
                error = NO_RETRY_AFTER
            with self._lock:
                self.samples.append(Sample(started, latency, answer.status, error))
                self.in_flight_since = None
            rest = self.interval - latency
            if rest > 0:
                self._stop.wait(rest)
        if conn is not None:
            conn.close()

    def window(self, start: float, end: float) -> list[Sample]:
        """Requests started in [start, end); first waits (up to the request
        timeout) for one started before `end` that is still running, so that
        a request stuck through an attack counts as what it became."""
        give_up = time.monotonic() + self.timeout + 2
        while time.monotonic() < give_up:
            with self._lock:
                since = self.in_flight_since
            if since is None or since >= end or not self._thread.is_alive():
                break
            time.sleep(0.02)
        with self._lock:
            return [s for s in self.samples if start <= s.started < end]


class PoliteProcess:
    """A PoliteClient in its own Python process, so that the attacks' threads
    (which hold this process's interpreter lock between their system calls)
    cannot slow the polite client down: it measures only the server. It
    reports each request on its stdout; time.monotonic() is the same clock
    in both processes."""

    def __init__(self, port: int, queries: list[str], *, interval: float = 0.02,
                 per_connection: int = 10, timeout: float = 5.0):
        self.timeout = timeout
        self.samples: list[Sample] = []
        self.in_flight_since: float | None = None
        self._lock = threading.Lock()
        command = [sys.executable, "-B", str(Path(__file__).resolve()), "polite", str(port),
                   json.dumps({"queries": queries, "interval": interval,
                               "per_connection": per_connection, "timeout": timeout})]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                kind, payload = line.split(b" ", 1)
                data = json.loads(payload)
            except ValueError:
                continue
            with self._lock:
                if kind == b"S":
                    self.in_flight_since = data
                elif kind == b"D":
                    self.samples.append(Sample(*data))
                    self.in_flight_since = None

    def window(self, start: float, end: float) -> list[Sample]:
        give_up = time.monotonic() + self.timeout + 2
        while time.monotonic() < give_up and self.proc.poll() is None:
            with self._lock:
                since = self.in_flight_since
            if since is None or since >= end:
                break
            time.sleep(0.02)
        with self._lock:
            return [s for s in self.samples if start <= s.started < end]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # the child stops when its stdin closes
                self.proc.wait(self.timeout + 5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(5)


def _polite_main(port: int, settings: dict) -> None:
    """Child side of PoliteProcess: runs until stdin closes (or 10 minutes)."""
    client = PoliteClient(port, settings["queries"], interval=settings["interval"],
                          per_connection=settings["per_connection"], timeout=settings["timeout"])
    out_lock = threading.Lock()

    def emit(kind: str, payload) -> None:
        with out_lock:
            sys.stdout.write(f"{kind} {json.dumps(payload)}\n")
            sys.stdout.flush()

    class Reporting(list):
        def append(self, sample: Sample) -> None:  # called under the client's lock
            emit("D", [sample.started, sample.latency, sample.status, sample.error])

    client.samples = Reporting()
    client.on_start = lambda started: emit("S", started)
    client.start()
    watchdog = threading.Thread(target=lambda: sys.stdin.read(), daemon=True)
    watchdog.start()
    watchdog.join(600)
    client.stop()


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


@dataclass
class PoliteFigures:
    tries: int
    ok: int
    busy: int          # 503 answers (documented overload)
    failed: int        # no answer or any other status
    p50_ms: float
    p99_ms: float
    errors: list[str] = field(default_factory=list)

    @property
    def success(self) -> float:
        return self.ok / self.tries if self.tries else 0.0


def polite_figures(samples: list[Sample]) -> PoliteFigures:
    ok = [s for s in samples if s.status == 200]
    busy = [s for s in samples if s.status == 503]
    failed = [s for s in samples if s.status not in (200, 503)]
    latencies = [s.latency * 1000 for s in samples]
    errors = sorted({s.error or f"status {s.status}" for s in failed})[:5]
    return PoliteFigures(len(samples), len(ok), len(busy), len(failed),
                         percentile(latencies, 0.50), percentile(latencies, 0.99), errors)


def make_temp_root(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove_tree(path: Path, keep: bool) -> None:
    if keep:
        log(f"kept {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


def fail_summary(failures: list[str]) -> int:
    if failures:
        log("\nFAILED:")
        for failure in failures:
            log(f"  - {failure}")
        return 1
    log("\nall checks passed")
    return 0


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    log(line)
    log("  ".join("-" * w for w in widths))
    for row in rows:
        log("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "polite":
        _polite_main(int(sys.argv[2]), json.loads(sys.argv[3]))
        sys.exit(0)
    sys.exit("harness.py is a module; run clients.py or faults.py")
