"""`prossimo serve`: the embedded mode — web server (waitress) and worker from one command."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Prossimo with waitress and run the background worker beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from prossimo.core.maintenance import optimize_database
        from prossimo.wsgi import application

        optimize_database()

        worker = None
        if not options["no_worker"] and not settings.HUEY.get("immediate"):
            worker = subprocess.Popen(
                [sys.executable, "-m", "prossimo.cli", "worker"],
            )
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Prossimo is serving on {url} (Ctrl+C to stop)."))

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            serve(
                application,
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                ident="Prossimo",
            )
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
