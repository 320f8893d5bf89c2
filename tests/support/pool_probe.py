"""Counts the PostgreSQL connections one glabella process opens while several threads serve pages
and run queries; prints the figures as JSON. Run by tests/test_pooling.py in its own process, with
the settings a deployment would use (DATABASE_URL naming an application_name, and
DATABASE_POOL_MAX_SIZE or not).

    python -m tests.support.pool_probe THREADS ROUNDS

It reports the most backends of this application_name seen at once (sampled by a separate plain
connection every few milliseconds), the requests that did not answer 200, the queries that
failed, and, with the pool on, whether a query still succeeds after every pooled backend was
terminated by the server (the pool must hand out a fresh connection, not a dead one).
"""

import json
import os
import sys
import threading
import time


def main(threads: int, rounds: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    django.setup()
    import psycopg
    from django.db import connection
    from django.test import Client

    app = connection.settings_dict["OPTIONS"]["application_name"]
    db = connection.settings_dict
    monitor = psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"],
        dbname=db["NAME"],
        application_name=f"{app}-monitor",
        autocommit=True,
    )

    def backends() -> list[int]:
        return [
            pid
            for (pid,) in monitor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [app]
            )
        ]

    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, len(backends()))
            time.sleep(0.003)

    failures: list[str] = []
    barrier = threading.Barrier(threads)

    def work() -> None:
        client = Client()
        barrier.wait()
        for _ in range(rounds):
            try:
                response = client.get("/")
                if response.status_code != 200:
                    failures.append(f"GET / answered {response.status_code}")
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_sleep(0.02), count(*) FROM django_migrations")
            except Exception as exc:  # every failure is a figure of the report
                failures.append(f"{type(exc).__name__}: {exc}")
            finally:
                connection.close()  # a thread's connection goes back (or away) after each round

    sampler = threading.Thread(target=sample)
    sampler.start()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    done.set()
    sampler.join()
    result = {"pooled": connection.pool is not None, "peak": peak, "failures": failures}

    if connection.pool is not None:
        connection.pool.check()  # fill the pool back to its minimum first
        before = backends()
        monitor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            [app],
        )
        deadline = time.monotonic() + 10
        while backends() and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (pid,) = cursor.fetchone()
            result["after_termination"] = {"killed": before, "answered_by": pid}
        except Exception as exc:
            result["after_termination"] = {"killed": before, "error": f"{type(exc).__name__}"}
        finally:
            connection.close()
        connection.close_pool()
    monitor.close()
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
