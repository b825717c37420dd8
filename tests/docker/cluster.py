#!/usr/bin/env python3
"""Checks docker/cluster.yaml against docker/cluster.json and docker/nginx.conf without a
container runtime: the shards the indexer builds, the replica nodes, the front ends' cluster
file, the load balancer's upstreams, volumes, health checks and the embedded shell scripts.
Exits 77 (skipped) without PyYAML (python3-yaml), 1 on any mismatch."""
import json
import os
import re
import subprocess
import sys

docker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docker")
try:
    import yaml
except ImportError:
    print("docker cluster check: python3-yaml is not installed (scripts/install-deps)")
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def unescape(text):
    """What compose hands the container: $$ is a literal $."""
    return text.replace("$$", "$")


with open(os.path.join(docker, "cluster.yaml")) as f:
    compose = yaml.safe_load(f)
with open(os.path.join(docker, "cluster.json")) as f:
    cluster = json.load(f)
with open(os.path.join(docker, "nginx.conf")) as f:
    nginx = f.read()
services = compose["services"]

# The indexer builds as many shards as the cluster file names, in order.
indexer = services["indexer"]["command"]
shards = int(indexer[indexer.index("--shards") + 1])
names = [shard["name"] for shard in cluster["shards"]]
check(names == ["shard-%02d" % k for k in range(shards)], f"cluster.json names the {shards} shards the indexer builds, in order")
for key in ("timeout_ms", "connect_timeout_ms", "retry_ms"):
    check(isinstance(cluster.get(key), int) and cluster[key] > 0, f"cluster.json has a positive {key}")

# Each replica endpoint is a shard node of that shard, serving on that port.
nodes = {}
for shard in cluster["shards"]:
    check(len(shard["replicas"]) >= 2, f"{shard['name']} has at least two replicas")
    for endpoint in shard["replicas"]:
        host, port = endpoint.rsplit(":", 1)
        service = services.get(host)
        check(service is not None, f"replica {endpoint} is a service")
        if service is None:
            continue
        nodes[host] = shard["name"]
        check(service.get("environment", {}).get("MASTER") == shard["name"], f"{host} replicates master {shard['name']}")
        command = " ".join(service["command"])
        check("xapian-tcpsrv" in command and f"--port {port}" in command, f"{host} runs xapian-tcpsrv on port {port}")

# Front ends: broadsheet-server --cluster over the mounted cluster file, whose front is the
# replica of master front beside it.
fronts = [name for name, s in services.items() if "--cluster" in (s.get("command") or [])]
check(len(fronts) >= 2, "two front ends or more")
for name in fronts:
    s = services[name]
    command = s["command"]
    path = command[command.index("--cluster") + 1]
    check(any(v.endswith(":" + path + ":ro") for v in s["volumes"]), f"{name} mounts docker/cluster.json at {path}")
    front = os.path.normpath(os.path.join(os.path.dirname(path), cluster["front"]))
    check(front == "/index/" + s["environment"]["MASTER"] and s["environment"]["MASTER"] == "front",
          f"{name}'s cluster file front ({front}) is its replica of master front")
    check(s["environment"].get("BROADSHEET_INDEX") == "", f"{name} empties BROADSHEET_INDEX")

# The load balancer proxies to exactly the front ends.
upstream = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", nginx, re.M)
check(sorted(h for h, _ in upstream) == sorted(fronts), "nginx.conf's upstreams are the front ends")
check(all(p == "8080" for _, p in upstream), "nginx.conf proxies to the front ends' port 8080")

# Every replica node has a volume of its own at /index; every named volume is declared.
replica_volumes = []
for name, s in services.items():
    for volume in s.get("volumes", []):
        source = volume.split(":")[0]
        if not source.startswith((".", "/", "$")):
            check(source in (compose.get("volumes") or {}), f"{name}'s volume {source} is declared")
        if name in nodes or name in fronts:
            if volume.split(":")[1] == "/index":
                replica_volumes.append(source)
check(len(replica_volumes) == len(set(replica_volumes)) == len(nodes) + len(fronts), "each replica node has a volume of its own")

# Health checks on every long-running service, and dependencies that exist.
for name, s in services.items():
    if s.get("restart") != "no":
        check("healthcheck" in s, f"{name} has a health check")
    for dependency in s.get("depends_on") or {}:
        check(dependency in services, f"{name} depends on an existing service ({dependency})")

# The replication server serves the indexer's masters.
replication = " ".join(services["replication"]["entrypoint"])
check("xapian-replicate-server" in replication and replication.endswith("/index/masters"), "replication serves /index/masters")

# The image those services run has the stock Xapian tools, in its runtime stage.
with open(os.path.join(docker, "Dockerfile")) as f:
    runtime = f.read().rsplit("\nFROM ", 1)[-1]
check(re.search(r"apt-get install[^\n]*(\\\n[^\n]*)*\bxapian-tools\b", runtime) is not None,
      "the image's runtime stage installs xapian-tools")

# The shell scripts compose runs parse.
scripts = set()
for name, s in services.items():
    for part in ("entrypoint", "command"):
        argv = s.get(part) or []
        if len(argv) >= 3 and argv[0] == "bash" and argv[1] == "-c":
            scripts.add(unescape(argv[2]))
    test = (s.get("healthcheck") or {}).get("test") or []
    if len(test) >= 4 and test[1] == "bash" and test[2] == "-c":
        scripts.add(unescape(test[3]))
for script in sorted(scripts):
    result = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True)
    check(result.returncode == 0, "bash -n: " + script.splitlines()[0][:60] + (": " + result.stderr if result.stderr else ""))

print(f"docker cluster check: {len(failures)} failed")
sys.exit(1 if failures else 0)
