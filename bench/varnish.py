"""
Throughput through Varnish: the archive already in the benchmark database (bench.run or
bench.generate made it), served by gunicorn with the production settings and Newsroom's page cache,
with varnishd in front running deploy/varnish/newsroom.vcl. wrk loads each page through Varnish and
straight from gunicorn, in turn. (How long a withdrawal's purge takes is printed by
tests/test_varnish.py, run with -s.)

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench .venv/bin/python -m bench.varnish
    … --ceiling http://127.0.0.1:18931/bare/     # the peer's bare view, already running: ÷ ceiling, same run

Needs varnishd (apt-get install varnish varnish-modules) and wrk. Only talks to 127.0.0.1.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.run import BASE, PORT, PYTHON, ROOT, WRK_SCRIPT, environment, load, start_gunicorn, stop

VARNISH_PORT = 8766


def start_varnish(workdir):
    vcl = (ROOT / "deploy" / "varnish" / "newsroom.vcl").read_text().replace('.port = "8000";', f'.port = "{PORT}";')
    path = Path(workdir) / "newsroom.vcl"
    path.write_text(vcl)
    process = subprocess.Popen(
        ["varnishd", "-F", "-j", "none", "-n", str(Path(workdir) / "varnish"), "-a", f"127.0.0.1:{VARNISH_PORT}",
         "-f", str(path), "-s", "malloc,256m", "-T", "none"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{VARNISH_PORT}/healthz", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("varnishd did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk's threads (the side-by-side runs wrk -t2 -c8); one by default, as bench.run")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_bench"),
    )
    parser.add_argument("--ceiling", help="a URL to load as the ceiling (the Wagtail peer's bare view, "
                                          "../shared/peers), before and after the pages, with the same wrk")
    args = parser.parse_args()
    if not (shutil.which("wrk") and shutil.which("varnishd")):
        sys.exit("needs wrk and varnishd: apt-get install wrk varnish varnish-modules")
    env = environment(args.database_url, page_cache=True)
    env["NEWSROOM_PURGE_URLS"] = f"http://127.0.0.1:{VARNISH_PORT}/"
    facts = json.loads(subprocess.run([PYTHON, "-m", "bench.probe"], cwd=ROOT, env=env, check=True, text=True,
                                      capture_output=True).stdout.strip().splitlines()[-1])
    pages = {"bare view": "/healthz", "home": "/", "deep page": facts["deep_page"], "detail": facts["detail"]}
    with tempfile.TemporaryDirectory() as workdir, tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        server = start_gunicorn(env)
        varnish = start_varnish(workdir)
        try:
            front = f"http://127.0.0.1:{VARNISH_PORT}"
            print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; gunicorn {env['GUNICORN_WORKERS']} workers "
                  "with the page cache; Varnish in front")
            ceilings = []

            def ceiling():
                urllib.request.urlopen(args.ceiling, timeout=30).read()
                figures = load(args.ceiling, args.duration, args.connections, [], script.name, args.threads)
                ceilings.append(figures["requests"] / figures["seconds"])

            if args.ceiling:
                ceiling()
            print("| page | gunicorn req/s | p50 ms | through Varnish req/s | p50 ms | × |")
            print("|---|---:|---:|---:|---:|---:|")
            rows = []
            for name, path in pages.items():
                for base in (BASE, front):
                    for _ in range(3):
                        urllib.request.urlopen(base + path, timeout=30).read()
                direct = load(BASE + path, args.duration, args.connections, [], script.name, args.threads)
                cached = load(front + path, args.duration, args.connections, [], script.name, args.threads)
                d, c = direct["requests"] / direct["seconds"], cached["requests"] / cached["seconds"]
                print(f"| {name} | {d:.0f} | {direct['p50']:.1f} | {c:.0f} | {cached['p50']:.1f} | {c / d:.1f} |",
                      flush=True)
                rows.append((name, c))
            if args.ceiling:
                ceiling()
                low, high = sorted(ceilings)
                print(f"\nCeiling ({args.ceiling}): {low:.0f} and {high:.0f} req/s, before and after the pages.")
                for name, c in rows:
                    print(f"- {name} through Varnish: {c / high:.1f}× to {c / low:.1f}× the ceiling")
        finally:
            varnish.terminate()
            varnish.wait(10)
            stop(server)


if __name__ == "__main__":
    main()
