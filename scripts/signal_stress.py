"""Signals at random moments of a run's exchanges: does the restore still get through?

Each round opens a run against a small local server, lets SIGALRM (one of the signals that stop a
run) arrive after a random 0.5-10 ms of GETs, then sends the restore's reads through the same
transport. A round is broken when those reads fail or the round hangs (20 s, then a traceback of
every thread and exit 1). Loopback only; bounded by --rounds.

    .venv/bin/python scripts/signal_stress.py --rounds 1000
"""

from __future__ import annotations

import argparse
import faulthandler
import http.server
import io
import random
import signal
import sys
import threading

import httpx

from qflow_contracts.suite.lifecycle import open_run
from qflow_contracts.suite.target import Target


class Answer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = b'{"CustomerId": 1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Quiet(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hung up mid-answer: what an interrupted exchange does


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    server = Quiet(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/API"
    broken = 0
    for done in range(rounds):
        if done and done % 500 == 0:
            print(f"{done} rounds", file=sys.stderr, flush=True)
        faulthandler.dump_traceback_later(20, exit=True)
        run = open_run(Target(base_url=base, customer_ids=(1,)), out=io.StringIO())
        run.install_signals()
        try:
            signal.setitimer(signal.ITIMER_REAL, random.uniform(0.0005, 0.01))
            while True:
                run.http.get("Customers/1")
        except KeyboardInterrupt:
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            run.restoring = True
            run.transport.restoring()
        try:
            for _ in range(3):
                run.http.get("Customers/1").raise_for_status()
        except (httpx.HTTPError, AssertionError, Exception) as error:  # what the restore would meet
            broken += 1
            print(f"broken: {type(error).__name__}: {error}", file=sys.stderr)
        run.uninstall_signals()
        run.http.close()
    faulthandler.cancel_dump_traceback_later()
    print(f"{rounds} rounds interrupted, {broken} broken restore(s), no hang")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
