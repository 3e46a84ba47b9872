"""
The Newsroom benchmark: generate an archive, serve it with gunicorn, load it with wrk.

    make bench                                  # 10,000 / 100,000 / 1,000,000 items on PostgreSQL
    .venv/bin/python -m bench.run --sizes 10000 --duration 5   # a quick look

For each size it recreates the database named by BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/newsroom_bench), generates the archive
(bench/generate.py), prints EXPLAIN for the main queries, then starts gunicorn
with the production settings on 127.0.0.1 and drives each page with wrk for a
bounded time: first with the page cache off (cold), then on (warm). A bare view
(/healthz, a fixed string through the same gunicorn and middleware) is the
ceiling every page's throughput is compared with. It prints a Markdown table and
writes it, with the machine and settings, to bench/results/.

Nothing here is part of the test suite, and it only ever talks to 127.0.0.1.
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"
PORT = int(os.environ.get("BENCH_PORT", "8765"))  # another port when benchmarks run side by side
BASE = f"http://127.0.0.1:{PORT}"
TARGETS = {  # p50 targets in ms, from the issue
    "home": 30, "deep page": 30, "detail": 30, "search": 100, "admin changelist": 300,
}
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('{"p50": %f, "p95": %f, "requests": %d, "seconds": %f, "non2xx": %d, "errors": %d}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.duration / 1e6, summary.errors.status, errors))
end
"""


def environment(database_url, page_cache):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings.production",
        DATABASE_URL=database_url,
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        DATABASE_CONN_MAX_AGE="600",
        NEWSROOM_PAGE_CACHE="1" if page_cache else "0",
        GUNICORN_BIND=f"127.0.0.1:{PORT}",
        GUNICORN_WORKERS=os.environ.get("GUNICORN_WORKERS", "2"),
        # The names gunicorn.conf.py reads: no access log (nothing formatted) and no worker recycling,
        # as the side-by-side benchmark runs it (../shared/peers).
        GUNICORN_ACCESS_LOG="off",
        GUNICORN_MAX_REQUESTS="0",
    )
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
    return env


def manage(env, *args, capture=False):
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
        capture_output=capture,
    )


def recreate_database(database_url):
    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin_url, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                    "-c", f"CREATE DATABASE {name}"], check=True)


def prepare(size, database_url, out, reuse=False):
    env = environment(database_url, page_cache=False)
    started = time.perf_counter()
    if reuse:
        out(f"Reusing the archive in {database_url} (generated as {size:,} items)")
        generated = subprocess.CompletedProcess([], 0, stdout="")
    else:
        recreate_database(database_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    if not reuse:
        out(f"Generating {size:,} items")
        generated = subprocess.run(
            [PYTHON, "-m", "bench.generate", "--items", str(size)], cwd=ROOT, env=env, check=True,
            text=True, capture_output=True,
        )
        out(generated.stdout.strip())
    probe = subprocess.run(
        [PYTHON, "-m", "bench.probe"], cwd=ROOT, env=env, check=True, text=True, capture_output=True,
    )
    facts = json.loads(probe.stdout.strip().splitlines()[-1])
    facts["generate_seconds"] = time.perf_counter() - started
    rate = re.search(r"at ([\d,]+) items/s", generated.stdout)
    facts["insert_rate"] = rate.group(1) if rate else "?"
    return env, facts


def start_gunicorn(env):
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "newsroom.wsgi", "-c", "gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/healthz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise RuntimeError("gunicorn did not start: " + server.stderr.read().decode()[-2000:])


def stop(server):
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def worker_rss(server):
    """Resident and peak memory (MiB) of each gunicorn worker."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    figures = []
    for pid in children.read_text().split() if children.exists() else []:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
        figures.append((int(pid), rss, peak))
    return figures


def load(url, duration, connections, headers, script, threads=1):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", script, url]
    for header in headers:
        command[1:1] = ["-H", header]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(env, pages, duration, connections, script, out):
    server = start_gunicorn(env)
    try:
        rss_before = worker_rss(server)
        figures = {}
        for name, (path, headers) in pages.items():
            for _ in range(3):  # warm the code paths (and the page cache, when it is on)
                request = urllib.request.Request(BASE + path, headers=dict(h.split(": ", 1) for h in headers))
                urllib.request.urlopen(request, timeout=30).read()
            figures[name] = load(BASE + path, duration, connections, headers, script)
            figures[name]["rps"] = figures[name]["requests"] / figures[name]["seconds"]
            out(f"    {name:<17} p50 {figures[name]['p50']:7.1f} ms  p95 {figures[name]['p95']:7.1f} ms  "
                f"{figures[name]['rps']:7.1f} req/s  non-2xx {figures[name]['non2xx']}")
        rss_after = worker_rss(server)
    finally:
        stop(server)
    return figures, rss_before, rss_after


def table(size, cold, warm):
    bare_cold, bare_warm = cold["bare view"]["rps"], warm["bare view"]["rps"]
    lines = [
        f"#### {size:,} items",
        "",
        "| page | p50 cold (ms) | p95 cold (ms) | req/s cold | × bare | p50 warm (ms) | p95 warm (ms) | req/s warm | × bare | 5xx/errors | p50 target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in cold:
        c, w = cold[name], warm[name]
        target = TARGETS.get(name)
        verdict = "" if target is None else f"≤ {target} ms: {'met' if c['p50'] <= target else 'MISSED'}"
        lines.append(
            f"| {name} | {c['p50']:.1f} | {c['p95']:.1f} | {c['rps']:.0f} | {c['rps'] / bare_cold:.2f} "
            f"| {w['p50']:.1f} | {w['p95']:.1f} | {w['rps']:.0f} | {w['rps'] / bare_warm:.2f} "
            f"| {c['non2xx'] + c['errors'] + w['non2xx'] + w['errors']} | {verdict} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page and mode")
    parser.add_argument("--connections", type=int, default=2, help="wrk connections (default: one per worker)")
    parser.add_argument(
        "--reuse", action="store_true",
        help="measure the archive already in the database (one size) instead of generating it",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_bench"),
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("The benchmark runs on PostgreSQL: set BENCH_DATABASE_URL to a postgres:// URL.")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    report = [
        f"### Newsroom benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}. gunicorn {os.environ.get('GUNICORN_WORKERS', '2')} sync workers; "
        f"wrk 1 thread, {args.connections} connections, {args.duration} s per page and mode; PostgreSQL "
        f"{subprocess.run(['psql', '--version'], capture_output=True, text=True).stdout.split()[-1]}, Redis page cache.",
        "",
    ]
    lines = []

    def out(line=""):
        print(line, flush=True)
        lines.append(line)

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    for size in [int(s) for s in args.sizes.split(",")]:
        env, facts = prepare(size, args.database_url, out, reuse=args.reuse)
        out(f"  insert rate {facts['insert_rate']} items/s; EXPLAIN of the main queries:")
        for name, plan in facts["explain"].items():
            out(f"  -- {name}")
            out("\n".join("     " + line for line in plan.splitlines()))
        cookie = [f"Cookie: sessionid={facts['session']}"]
        pages = {
            "bare view": ("/healthz", []),
            "home": ("/", []),
            "deep page": (facts["deep_page"], []),
            "detail": (facts["detail"], []),
            "source page": (facts["source"], []),
            "search": ("/?q=cyber+defence", []),
            "feed": ("/feeds/latest.rss", []),
            "calendar": ("/advisories.ics", []),
            "admin changelist": ("/admin/releases/release/", cookie),
        }
        results = {}
        for mode, page_cache in (("cold", False), ("warm", True)):
            out(f"  {mode} (page cache {'on' if page_cache else 'off'})")
            env = environment(args.database_url, page_cache)
            results[mode], before, after = measure(env, pages, args.duration, args.connections, script.name, out)
            for (pid, rss0, _), (_, rss1, peak) in zip(before, after):
                out(f"    worker {pid}: RSS {rss0:.0f} → {rss1:.0f} MiB, peak {peak:.0f} MiB")
            results[f"{mode}_rss"] = after
        report.append(table(size, results["cold"], results["warm"]))
        peak = max((p for _, _, p in results["cold_rss"] + results["warm_rss"]), default=0)
        report.append(f"\nPeak RSS per worker: {peak:.0f} MiB. Insert rate: {facts['insert_rate']} items/s.\n")
    os.unlink(script.name)
    text = "\n".join(report)
    print("\n" + text)
    path = RESULTS / f"bench-{stamp}.md"
    path.write_text(text + "\n\n<details><summary>Run log</summary>\n\n```\n" + "\n".join(lines) + "\n```\n</details>\n")
    print(f"\nWritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
