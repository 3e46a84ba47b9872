"""
CPU time a gunicorn worker spends per request (user + system, from /proc), for servers already
running, each loaded in turn with wrk for a few seconds, in interleaved rounds. Less sensitive to a
busy machine than requests per second: time spent waiting for the CPU is not counted.

    python3 -m bench.workercpu 5 3 peer=http://127.0.0.1:18951/bare/=/tmp/peer.pid \\
        bare=http://127.0.0.1:18953/healthz=/tmp/nr.pid home=http://127.0.0.1:18953/=/tmp/nr.pid

Each server is NAME=URL=the gunicorn master's pid file (start it with one worker: -w 1).
"""
import os
import re
import statistics
import subprocess
import sys


def worker_seconds(pid_file):
    master = open(pid_file).read().strip()
    total = 0
    for child in subprocess.run(["pgrep", "-P", master], capture_output=True, text=True).stdout.split():
        fields = open(f"/proc/{child}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def main():
    rounds, seconds = int(sys.argv[1]), sys.argv[2]
    servers = [argument.split("=", 2) for argument in sys.argv[3:]]
    cpu = {name: [] for name, _, _ in servers}
    rate = {name: [] for name, _, _ in servers}
    for _ in range(rounds):
        for name, url, pid_file in servers:
            before = worker_seconds(pid_file)
            out = subprocess.run(["wrk", "-t1", "-c4", f"-d{seconds}s", url], capture_output=True, text=True).stdout
            requests = int(re.search(r"(\d+) requests in", out).group(1))
            cpu[name].append((worker_seconds(pid_file) - before) / requests * 1e6)
            rate[name].append(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)))
    for name in cpu:
        print(f"{name}: worker CPU µs/request, median {statistics.median(cpu[name]):.0f} "
              f"(rounds {[round(x) for x in cpu[name]]}); req/s median {statistics.median(rate[name]):.0f}")


if __name__ == "__main__":
    main()
