"""Chaos run: a mixed workload over three Ballast instances on a real Redis topology, with
faults on a schedule, checking the promises (no 5xx, a revoked token stays revoked, no
accepted notification lost) and measuring what the faults cost.

Run: `make chaos` (or `.venv/bin/python bench/chaos.py --topology sentinel`). Starts its
own Redis processes (one server, a Sentinel set, or a 3-master cluster with replicas) and
three `ballast serve --workers 2` on free loopback ports. Writes <out>/chaos-<topology>.json
and, with matplotlib installed (`make chaos` installs it), <out>/chaos-<topology>.png.
Exits 1 when a promise is broken.
"""

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from tests.redis_server import RedisServer, free_port  # noqa: E402
from tests.redis_topologies import Cluster, Sentinels  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "chaos-admin-password"
NOTE = {"recipient": "admin", "channel": "log", "subject": "chaos", "body": "b"}


class Topology:
    """A Redis deployment and the faults the schedule applies to it."""

    url: str
    # Faults that lose writes Redis acknowledged, by Redis's own design, and up to when:
    # "start" for a server without persistence restarted (what it held before is gone;
    # Ballast repeats only its last seconds of writes). Notifications lost so are reported
    # apart. A Sentinel switch-over is not among them: the old master drops what it took
    # until its demotion, and Ballast writes that again to the new master (a promise).
    lossy: dict[str, str] = {}

    def faults(self) -> list[tuple[str, Callable[[], Callable[[], None]]]]:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class Single(Topology):
    def __init__(self) -> None:
        self.server = RedisServer().start()
        self.url = self.server.url

    def faults(self) -> list[tuple[str, Callable[[], Callable[[], None]]]]:
        def killed_restarted_empty() -> Callable[[], None]:
            self.server.kill()
            return self.server.start

        def hung() -> Callable[[], None]:
            self.server.hang()
            return self.server.resume

        return [("killed, restarted empty", killed_restarted_empty), ("hung", hung)]

    lossy = {"killed, restarted empty": "start"}

    def stop(self) -> None:
        self.server.stop()


class SentinelSet(Topology):
    def __init__(self) -> None:
        self.set = Sentinels().start()
        self.url = self.set.url

    def faults(self) -> list[tuple[str, Callable[[], Callable[[], None]]]]:
        def master_killed() -> Callable[[], None]:
            self.set.settle()  # Ballast's losses, not the replication lag of the moment
            self.set.kill_master()
            return self.set.wait_for_promotion

        def switch_over() -> Callable[[], None]:
            self.set.settle()
            self.set.switch_over()

            def switched() -> None:
                self.set.wait_for_promotion()
                self.set.wait_for_demotion()

            return switched

        return [("sentinel switch-over", switch_over), ("master killed", master_killed)]

    def stop(self) -> None:
        self.set.stop()


class ClusterSet(Topology):
    KEY = "ballast:{rev}:token:x"

    def __init__(self) -> None:
        self.cluster = Cluster(replicas=True).start()
        self.url = self.cluster.url

    def faults(self) -> list[tuple[str, Callable[[], Callable[[], None]]]]:
        def master_killed() -> Callable[[], None]:
            dead = self.cluster.kill_master_of(self.KEY)
            return lambda: self.cluster.wait_for_new_master(self.KEY, dead)

        return [("cluster master killed", master_killed)]

    def stop(self) -> None:
        self.cluster.stop()


TOPOLOGIES: dict[str, Callable[[], Topology]] = {
    "single": Single,
    "sentinel": SentinelSet,
    "cluster": ClusterSet,
}


@contextlib.contextmanager
def instances(url: str, count: int, logs: Path) -> Iterator[list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BALLAST_")}
    env |= {
        "REDIS_URL": url,
        "BALLAST_ENV": "development",
        "BALLAST_ADMIN_PASSWORD": PASSWORD,
        "BALLAST_JWT_SECRET": "chaos-secret-shared-by-the-three-instances",
        "BALLAST_RATE_LIMIT": "off",
        "BALLAST_LOGIN_RATE_LIMIT": "off",
        "BALLAST_PASSWORD_HASH_MEMORY_KIB": "256",
        "BALLAST_ACCESS_LOG": "off",
    }
    processes, bases = [], []
    try:
        for i in range(count):
            port = free_port()
            log = (logs / f"instance-{i}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [str(BIN / "ballast"), "serve", "--workers", "2", "--port", str(port)],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + "/health", timeout=1).json()["status"] == "pass":
                        break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"instance {base} did not start (see {logs})")
        yield bases
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


class Run:
    """What the clients saw: one record per request, and what they must still find."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self.started = time.monotonic()
        self.records: list[tuple[float, float, int, str]] = []  # (t, latency s, status, op)
        self.revoked: list[str] = []
        self.accepted: list[tuple[float, str]] = []  # (when, id)
        self.propagation: list[tuple[float, float]] = []  # (when, seconds)
        self.health: list[tuple[float, int, str, int]] = []  # (t, instance, status, pending)
        self.stopping = False

    def now(self) -> float:
        return time.monotonic() - self.started

    async def request(self, client: httpx.AsyncClient, op: str, method: str, url: str,
                      **kw: Any) -> httpx.Response | None:  # fmt: skip
        started = time.monotonic()
        try:
            response = await client.request(method, url, timeout=10, **kw)
        except httpx.HTTPError:
            self.records.append((self.now(), time.monotonic() - started, 599, op))
            return None
        self.records.append((self.now(), time.monotonic() - started, response.status_code, op))
        return response


async def login(run: Run, client: httpx.AsyncClient, base: str) -> dict[str, str] | None:
    r = await run.request(
        client, "login", "POST", base + "/api/auth/login",
        json={"username": "admin", "password": PASSWORD},
    )  # fmt: skip
    return r.json() if r is not None and r.status_code == 200 else None


async def client_loop(run: Run, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient() as client:
        tokens = None
        while not run.stopping:
            base = rng.choice(run.bases)
            if tokens is None:
                tokens = await login(run, client, base)
                await asyncio.sleep(0.01)
                continue
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            op = rng.choices(
                ["me", "refresh", "logout", "convert", "send", "read"], [30, 10, 8, 25, 12, 15]
            )[0]
            if op == "me":
                await run.request(client, op, "GET", base + "/api/auth/me", headers=auth)
            elif op == "refresh":
                r = await run.request(
                    client, op, "POST", base + "/api/auth/refresh",
                    json={"refresh_token": tokens["refresh_token"]},
                )  # fmt: skip
                if r is not None and r.status_code == 200:
                    tokens = r.json()
                elif r is not None and r.status_code == 401:
                    tokens = None
            elif op == "logout":
                r = await run.request(client, op, "POST", base + "/api/auth/logout", headers=auth)
                if r is not None and r.status_code == 204:
                    run.revoked.append(tokens["access_token"])
                    tokens = None
            elif op == "convert":
                await run.request(
                    client, op, "GET", base + "/api/currency/convert?amount=10.50&from=USD&to=EUR"
                )
            elif op == "send":
                # Counted from when it was sent: a write that reached Redis just before a
                # wipe is the wipe's loss, even if its answer came after.
                sent_at = run.now()
                r = await run.request(
                    client, op, "POST", base + "/api/notifications", json=NOTE, headers=auth
                )
                if r is not None and r.status_code in (200, 202):
                    run.accepted.append((sent_at, r.json()["id"]))
            elif run.accepted:
                nid = rng.choice(run.accepted)[1]
                await run.request(
                    client, op, "GET", f"{base}/api/notifications/{nid}", headers=auth
                )


async def propagation_loop(run: Run) -> None:
    """Revoke through one instance, time until both others refuse the token."""
    async with httpx.AsyncClient() as client:
        i = 0
        while not run.stopping:
            source, others = run.bases[i % 3], [b for b in run.bases if b != run.bases[i % 3]]
            i += 1
            r = await client.post(
                source + "/api/auth/login", json={"username": "admin", "password": PASSWORD}
            )
            if r.status_code != 200:
                await asyncio.sleep(0.2)
                continue
            auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
            out = await client.post(source + "/api/auth/logout", headers=auth)
            if out.status_code != 204:
                continue
            run.revoked.append(r.json()["access_token"])
            revoked_at = time.monotonic()
            pending = set(others)
            while pending and time.monotonic() - revoked_at < 10:
                for base in list(pending):
                    # A new connection each time, so that either worker may answer.
                    me = await client.get(
                        base + "/api/auth/me", headers=auth | {"Connection": "close"}
                    )
                    if me.status_code == 401:
                        pending.discard(base)
                await asyncio.sleep(0.005)
            took = time.monotonic() - revoked_at if not pending else 10.0
            run.propagation.append((revoked_at - run.started, took))
            await asyncio.sleep(0.2)


async def health_loop(run: Run) -> None:
    async with httpx.AsyncClient() as client:
        while not run.stopping:
            for i, base in enumerate(run.bases):
                with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                    body = (await client.get(base + "/health", timeout=2)).json()
                    redis = body["checks"]["redis"][0]
                    run.health.append(
                        (run.now(), i, body["status"], int(redis.get("pending_replay", 0)))
                    )
            await asyncio.sleep(0.1)


async def drive(run: Run, topology: Topology, clients: int, duration: float) -> list[dict]:
    tasks = [asyncio.create_task(client_loop(run, seed)) for seed in range(clients)]
    tasks += [asyncio.create_task(propagation_loop(run)), asyncio.create_task(health_loop(run))]
    faults = topology.faults()
    slot = duration / (len(faults) + 1)
    windows = []
    for name, inject in faults:
        await asyncio.sleep(max(0.0, (len(windows) + 1) * slot - run.now() - slot / 2))
        start = run.now()
        recover = await asyncio.to_thread(inject)
        await asyncio.sleep(min(3.0, slot / 3))  # the fault lasts (killed, hung...)
        await asyncio.to_thread(recover)
        windows.append({"fault": name, "start": start, "end": run.now()})
    await asyncio.sleep(max(0.0, duration - run.now()))
    # Every instance back on Redis with nothing left to replay, before the checks.
    deadline = run.now() + 30
    while run.now() < deadline:
        if all_pass(run):
            break
        await asyncio.sleep(0.1)
    run.stopping = True
    await asyncio.gather(*tasks, return_exceptions=True)
    return windows


def all_pass(run: Run) -> bool:
    latest: dict[int, tuple[str, int]] = {}
    for _, i, status, pending in run.health:
        latest[i] = (status, pending)
    return len(latest) == 3 and all(s == "pass" and p == 0 for s, p in latest.values())


async def promises(run: Run, lost_before: float | None) -> dict[str, int]:
    """After recovery: revoked tokens some instance accepts; accepted notifications no
    instance can read (those accepted before a fault that wiped Redis are counted apart:
    the fault took them: Redis's own losses, see docs/REDIS.md's split-brain limits)."""
    async with httpx.AsyncClient() as client:
        tokens = await login(run, client, run.bases[0])
        assert tokens is not None
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        accepted_revoked = 0
        for token in run.revoked:
            for base in run.bases:
                me = await client.get(
                    base + "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
                )
                accepted_revoked += me.status_code != 401
        missing = wiped = 0
        for i, (when, nid) in enumerate(run.accepted):
            got = await client.get(f"{run.bases[i % 3]}/api/notifications/{nid}", headers=auth)
            if got.status_code != 200:
                if lost_before is not None and when < lost_before:
                    wiped += 1
                else:
                    missing += 1
    return {
        "revoked_tokens_accepted": accepted_revoked,
        "accepted_notifications_missing": missing,
        "notifications_lost_with_redis": wiped,
    }


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spread(values: list[float]) -> dict[str, float | int | None]:
    return {
        "samples": len(values),
        "p50_ms": ms(percentile(values, 0.5)),
        "p99_ms": ms(percentile(values, 0.99)),
        "max_ms": ms(max(values) if values else None),
        "mean_ms": ms(statistics.mean(values) if values else None),
    }


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def phases(run: Run, windows: list[dict], end: float) -> list[dict]:
    """Per phase: before the first fault, each fault window (injection to topology healed)
    and its aftermath (to the next fault), with time back to pass and journal drain."""
    bounds: list[tuple[str, float, float]] = []
    cursor = 0.0
    for w in windows:
        bounds.append(("steady" if not bounds else f"after {bounds[-1][0]}", cursor, w["start"]))
        bounds.append((w["fault"], w["start"], w["end"]))
        cursor = w["end"]
    bounds.append((f"after {windows[-1]['fault']}" if windows else "steady", cursor, end))
    out = []
    for name, start, stop in bounds:
        rows = [r for r in run.records if start <= r[0] < stop]
        latencies = [r[1] for r in rows]
        phase = {
            "phase": name,
            "start_s": round(start, 2),
            "seconds": round(stop - start, 2),
            "requests": len(rows),
            "errors_5xx": sum(1 for r in rows if r[2] >= 500),
            "p50_ms": ms(percentile(latencies, 0.5)),
            "p99_ms": ms(percentile(latencies, 0.99)),
            "max_ms": ms(max(latencies) if latencies else None),
        }
        window = next((w for w in windows if w["fault"] == name), None)
        if window is not None:
            phase |= back_to_pass(run, window["end"])
        out.append(phase)
    return out


def back_to_pass(run: Run, healed: float) -> dict[str, float | None]:
    """From the topology healed: seconds until every instance says pass (back on Redis),
    and until every journal is empty."""
    after = [h for h in run.health if h[0] >= healed]
    back = drained = None
    for t, *_ in after:
        upto = [h for h in run.health if h[0] <= t]
        latest = {i: (s, p) for _, i, s, p in upto}
        if back is None and all(s == "pass" for s, _ in latest.values()):
            back = t - healed
        if drained is None and all(p == 0 for _, p in latest.values()):
            drained = t - healed
        if back is not None and drained is not None:
            break
    return {
        "time_back_to_pass_s": None if back is None else round(back, 2),
        "journal_drained_s": None if drained is None else round(drained, 2),
    }


def timeline(run: Run, windows: list[dict], path: Path, title: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("chaos: matplotlib is not installed (make chaos installs it): no PNG")
        return False
    seconds = int(max((r[0] for r in run.records), default=0)) + 1
    per_second: list[list[float]] = [[] for _ in range(seconds)]
    errors = [0] * seconds
    for t, latency, status, _ in run.records:
        per_second[int(t)].append(latency)
        errors[int(t)] += status >= 500
    xs = list(range(seconds))
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(10, 5.5))
    top.plot(xs, [len(s) for s in per_second], label="requests/s")
    top.plot(xs, errors, color="red", label="5xx/s")
    top.set_ylabel("requests/s")
    top.legend(loc="lower left")
    bottom.plot(xs, [ms(percentile(s, 0.99)) or 0 for s in per_second], color="purple")
    bottom.set_ylabel("p99 ms")
    bottom.set_xlabel("seconds")
    for axis in (top, bottom):
        for w in windows:
            axis.axvspan(w["start"], w["end"], color="orange", alpha=0.25)
    top.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topology", choices=list(TOPOLOGIES), default="single")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of workload")
    parser.add_argument("--clients", type=int, default=12, help="concurrent clients")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "chaos")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-plot", action="store_true", help="JSON only, no PNG")
    args = parser.parse_args()
    random.seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    logs = Path(tempfile.mkdtemp(prefix=f"ballast-chaos-{args.topology}-"))
    print(f"chaos: instance logs in {logs}", flush=True)

    print(f"chaos: starting the {args.topology} topology and three instances", flush=True)
    topology = TOPOLOGIES[args.topology]()
    try:
        with instances(topology.url, 3, logs) as bases:
            run = Run(bases)
            windows = asyncio.run(drive(run, topology, args.clients, args.duration))
            end = run.now()
            cutoffs = [
                w[topology.lossy[w["fault"]]] for w in windows if w["fault"] in topology.lossy
            ]
            kept = asyncio.run(promises(run, max(cutoffs) if cutoffs else None))
    finally:
        topology.stop()

    table = phases(run, windows, end)
    report = {
        "topology": args.topology,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "command": " ".join(["bench/chaos.py", *sys.argv[1:]]),
        "clients": args.clients,
        "instances": 3,
        "requests": len(run.records),
        "errors_5xx": sum(1 for r in run.records if r[2] >= 500),
        **kept,
        "revoked_tokens": len(run.revoked),
        "accepted_notifications": len(run.accepted),
        "revocation_propagation": {
            "all": spread([s for _, s in run.propagation]),
            "outside_faults": spread(
                [
                    s
                    for t, s in run.propagation
                    if not any(w["start"] - 0.5 <= t <= w["end"] + 2 for w in windows)
                ]
            ),
        },
        "faults": windows,
        "phases": table,
    }
    path = args.out / f"chaos-{args.topology}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    if args.out == ROOT / "docs" / "chaos":  # the documented run: its section of BENCHMARKS
        write_section(
            ROOT / "docs" / "BENCHMARKS.md",
            f"bench/chaos.py --topology {args.topology}",
            markdown(report),
            f"### {args.topology}",
        )
    png = args.out / f"chaos-{args.topology}.png"
    if not args.no_plot:
        timeline(run, windows, png, f"bench/chaos.py --topology {args.topology}")
    broken = [
        name
        for name in ("errors_5xx", "revoked_tokens_accepted", "accepted_notifications_missing")
        if report[name]
    ]
    print(json.dumps({k: report[k] for k in ("requests", "errors_5xx", *kept)}, indent=None))
    for phase in table:
        print("  " + "  ".join(f"{k}={v}" for k, v in phase.items()))
    print(f"  revocation propagation: {report['revocation_propagation']}")
    if broken:
        print(f"chaos: PROMISE BROKEN: {', '.join(broken)}", file=sys.stderr)
        return 1
    print(f"chaos: promises kept; report in {path}")
    return 0


def markdown(report: dict[str, Any]) -> list[str]:
    """The topology's part of docs/BENCHMARKS.md, from its report."""
    spread_all = report["revocation_propagation"]["all"]
    quiet = report["revocation_propagation"]["outside_faults"]
    load = os.getloadavg()[0]
    lines = [
        f"Run on {report['date']}, {report['machine']}, load average {load:.1f} at the end"
        f" (`{report['command']}`).",
        "",
        f"{report['requests']} requests, 5xx: {report['errors_5xx']}, revoked tokens accepted:"
        f" {report['revoked_tokens_accepted']} (of {report['revoked_tokens']}), accepted"
        f" notifications missing: {report['accepted_notifications_missing']} (of"
        f" {report['accepted_notifications']}); lost with Redis's own data (a server restarted"
        f" without persistence): {report['notifications_lost_with_redis']}.",
        "",
        "Revocation propagation to both other instances: "
        f"p50 {quiet.get('p50_ms')} ms, p99 {quiet.get('p99_ms')} ms outside fault windows"
        f" ({quiet.get('samples', 0)} samples); over the whole run p99"
        f" {spread_all.get('p99_ms')} ms, max {spread_all.get('max_ms')} ms (a revocation made"
        " while an instance is cut off from the feed reaches it at its resync).",
        "",
        "| phase | s | requests | 5xx | p50 ms | p99 ms | max ms | back to pass s |"
        " journal drained s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in report["phases"]:
        back, drained = phase.get("time_back_to_pass_s"), phase.get("journal_drained_s")
        lines.append(
            f"| {phase['phase']} | {phase['seconds']} | {phase['requests']} |"
            f" {phase['errors_5xx']} | {phase['p50_ms']} | {phase['p99_ms']} |"
            f" {phase['max_ms']} | {'' if back is None else back} |"
            f" {'' if drained is None else drained} |"
        )
    topology = report["topology"]
    lines += ["", f"![{topology} timeline](chaos/chaos-{topology}.png)"]
    return lines


if __name__ == "__main__":
    sys.exit(main())
