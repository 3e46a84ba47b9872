"""
Where a page-cache hit's time goes under gunicorn: one server (2 sync workers, the page cache on),
wrk -t2 -c8 against the bare view, a bare view as large as the page, and page-cache hits (200 and
304), interleaved for several rounds; medians, and each as a ratio to the bare view of the same run.

    DJANGO_SETTINGS_MODULE=newsroom.settings.production DATABASE_URL=postgres://… REDIS_URL=redis://… \\
        SECRET_KEY=… ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 GUNICORN_ACCESS_LOG=/dev/null \\
        GUNICORN_MAX_REQUESTS=0 .venv/bin/python -m bench.hitcost --port 18943 --seconds 5 --rounds 5

    … .venv/bin/python -m bench.hitcost --inprocess    # the same requests through the WSGI handler

In process, each figure is both wall time and CPU time per request (``time.process_time``): on a busy
machine the wall time of a Redis round trip is mostly waiting for Redis to be scheduled, which CPU
time leaves out, so the CPU figure is what our own code costs.

The archive is bench.generate's (bench/probe.py picks the detail page).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request


def wrk(url, seconds, headers=()):
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(bad.group(1)) if bad else 0


def inprocess(facts, repeat, rounds):
    from bench.generate import setup_django

    setup_django()
    from bench.hitcost_wsgi import application
    from bench.inprocess import call

    _, headers, content = call(application, "/")
    etag, size = headers["ETag"], len(content)
    loads = {
        "bare view (2 bytes)": ("/healthz", ()),
        f"bare view, {size} bytes": (f"/bench-bytes/{size}", ()),
        "home, page-cache hit": ("/", ()),
        "home, page-cache 304": ("/", (("If-None-Match", etag),)),
        "detail, page-cache hit": (facts["detail"], ()),
    }
    wall, cpu = {name: [] for name in loads}, {name: [] for name in loads}
    for _ in range(rounds):
        for name, (path, request_headers) in loads.items():
            call(application, path, request_headers)
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(repeat):
                call(application, path, request_headers)
            wall[name].append((time.perf_counter() - start) / repeat * 1e6)
            cpu[name].append((time.process_time() - start_cpu) / repeat * 1e6)
    print(f"\nin process, {repeat} requests each, median of {rounds} interleaved rounds, "
          f"load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| request | wall µs | CPU µs | CPU ÷ bare view |")
    print("|---|---:|---:|---:|")
    bare = statistics.median(cpu["bare view (2 bytes)"])
    for name in loads:
        print(f"| {name} | {statistics.median(wall[name]):.0f} | {statistics.median(cpu[name]):.0f} | "
              f"{statistics.median(cpu[name]) / bare:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=18943)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--inprocess", action="store_true", help="through the WSGI handler, no gunicorn")
    parser.add_argument("--repeat", type=int, default=1000, help="requests per figure, --inprocess only")
    args = parser.parse_args()
    facts = json.loads(subprocess.run([sys.executable, "-m", "bench.probe"], capture_output=True, text=True,
                                      check=True).stdout.strip().splitlines()[-1])
    if args.inprocess:
        return inprocess(facts, args.repeat, args.rounds)
    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "NEWSROOM_PAGE_CACHE": "1", "GUNICORN_BIND": f"127.0.0.1:{args.port}",
           "GUNICORN_WORKERS": str(args.workers)}
    server = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "bench.hitcost_wsgi",
                               "-c", "gunicorn.conf.py"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        sizes, etags = {}, {}
        for name, path in (("home", "/"), ("detail", facts["detail"])):
            with urllib.request.urlopen(base + path) as response:
                sizes[name] = len(response.read())
                etags[name] = response.headers["ETag"]
        loads = {
            "bare view (2 bytes)": (base + "/healthz", ()),
            f"bare view, {sizes['home']} bytes": (base + f"/bench-bytes/{sizes['home']}", ()),
            "home, page-cache hit": (base + "/", ()),
            "home, page-cache 304": (base + "/", (f"If-None-Match: {etags['home']}",)),
            f"bare view, {sizes['detail']} bytes": (base + f"/bench-bytes/{sizes['detail']}", ()),
            "detail, page-cache hit": (base + facts["detail"], ()),
        }
        results = {name: [] for name in loads}
        bad = 0
        for _ in range(args.rounds):
            for name, (url, headers) in loads.items():
                rps, non2xx = wrk(url, args.seconds, headers)
                results[name].append(rps)
                bad += non2xx
        bare = statistics.median(results["bare view (2 bytes)"])
        print(f"\ngunicorn {args.workers} sync workers, wrk -t2 -c8 {args.seconds}s, median of {args.rounds} "
              f"interleaved rounds, load average {os.getloadavg()[0]:.1f} at the end, {os.cpu_count()} cores\n")
        print("| load | req/s | ÷ bare view |")
        print("|---|---:|---:|")
        for name, values in results.items():
            print(f"| {name} | {statistics.median(values):.0f} | {statistics.median(values) / bare:.2f} |")
        print(f"\nnon-2xx/3xx responses: {bad}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
