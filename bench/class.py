"""A class under load (issue 29): `--students` simulated students join one class and answer one
question while the teacher watches the board; then the server restarts and the board must count the same.

    python -m bench.class [--students 200] [--spawn-rate 20] [--replicas 0,2] [--postgres URL] [--open-page]
                          [--out bench/results/class.txt]

For each setting of `--replicas` (0: one `python app.py`; N: `deploy/serve.sh N`, N replicas behind
nginx) a server starts on a fresh class store: a SQLite file in a temporary folder, or with
`--postgres` a fresh schema in that database (dropped afterwards), as tests/test_class_store.py makes
one. Once its warm-up (every demo's models) is over, the teacher starts a class through the API
(the sketcher's page, step 2), and Locust, in this process, runs one teacher and the students:

- each student is its own user with its own cookies and a random anonymous id: it joins (half of
  them with a nickname), thinks for THINK_S seconds, answers QUESTION with one of its answers at
  random (each student answers exactly once), and then, as a page whose verdict is held, asks every
  ASK_EVERY_S seconds whether the step is revealed, until it is. Behind nginx a client without a
  cookie is routed by its address, so these students, all from 127.0.0.1, reach one replica. With
  `--open-page` each student first opens the class's page (the students' link: the page alone,
  about 280 KB) as a browser does: that page's cookie keeps the student on a replica chosen at
  random, so the class is spread over the replicas, and the server renders 200 pages as well;
- the teacher GETs the board every BOARD_EVERY_S seconds with its secret, as the teacher's page does,
  and once every student has answered and DISCUSS_S seconds have passed, reveals the step. The
  server's cores used while the class waits, and the time from the Reveal to each student's page
  learning it, are printed.

Checks (any failed one makes the exit status 1): the board counts exactly `--students` answers to
QUESTION, each answer as often as the students sent it (tallied here, from the answers the server
took), `--students` took part and joined, as many nicknames as were sent; every student saw the
reveal; Locust saw 0 failures; and after the server is stopped and started again on the same
store, the board says the same. The
exceptions in the server's log (the cause of an HTTP 500) are printed with the result.

The load generator and the servers share this machine's cores, and so may other work: the 1-minute
load average is printed before and after each setting. Results: bench/results/class.txt.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import gevent
import httpx
import psycopg
from locust import FastHttpUser, constant, constant_pacing, task
from locust.env import Environment

from bench.replicas import GradioUser, session_cpu_seconds
from bench.timing import machine
from demos.classroom import questions
from harness import serving
from harness.databases import postgres_schema
from harness.serving import ROOT

TAB, STEP = "sketcher", 2
QUESTION = f"{TAB}-{STEP}"  # the guided step the class answers ("Which network will the serif 1 fool?")
THINK_S = (1.0, 4.0)  # a student reads the question, then answers: short, a class told "answer now"
BOARD_EVERY_S = 1.5  # the teacher's page asks for the board this often (the issue: at least every 2 s)
ASK_EVERY_S = 2.0  # a student's page with a verdict held asks whether the step is revealed this often (student.js)
DISCUSS_S = 10.0  # once every student has answered, the class waits this long, asking, before the teacher reveals
FINISH_S = 300.0  # after the last student starts, how long the class may take to answer before the run gives up
QUIET_S = 2.0  # a server is warmed up once it uses under QUIET_CORE_SHARE of a core per process for this long
QUIET_CORE_SHARE = 0.15  # app.py here: about 95% of a core while warming up, 6-11% idle after it, while others' tests ran
WARM_UP_LIMIT_S = 240.0
REQUESTS = ("page", "join", "answer", "revealed", "board")  # the request types, in the order a class makes them
EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception): .*")  # a traceback's last line in a server's log


@dataclass
class Lesson:
    """One run's class, shared by its Locust users (one greenlet each, so no lock is needed)."""

    url: str
    code: str
    secret: str
    student_path: str
    answers: tuple[str, ...]  # QUESTION's answers' ids
    sent: Counter = field(default_factory=Counter)  # answer -> how many students' answers the server took (HTTP 200)
    nicknames: int = 0  # joins with a nickname that the server took
    finished: int = 0  # students whose turn is over, answered or not
    replicas: Counter = field(default_factory=Counter)  # which replica took each answer (X-Gallery-Replica)
    numbered: int = 0  # students started, for their nicknames
    open_page: bool = False  # each student opens the class's page before joining, as a browser does
    answered: int = 0  # students past their answer, taken or not
    revealed_at: float | None = None  # time.time() as the teacher pressed Reveal
    seen_after: list = field(default_factory=list)  # each student's seconds from the reveal to its page learning it


class Student(GradioUser):
    """One student: (the class's page,) join, think, answer once, then nothing more. `GradioUser` for its POST sent
    again once when uvicorn had closed the idle kept-alive connection (as browsers do)."""

    abstract = True
    lesson: Lesson
    # One turn each, then a wait the run's end cuts short. A user ended with StopUser is replaced by
    # Locust while it spawns (seen here: 429 joins, not 200), so a student never stops itself.
    wait_time = constant(24 * 3600)

    def on_start(self):
        pass  # GradioUser opens a demo's page here; a student may open the class's page in `take_part`

    @task
    def take_part(self):
        lesson = self.lesson
        lesson.numbered += 1
        student = secrets.token_urlsafe(18)  # 24 characters of [A-Za-z0-9_-], as a browser's anonymous id
        nickname = f"student {lesson.numbered}" if lesson.numbered % 2 else None  # half of them give one
        try:
            if lesson.open_page:
                self.client.get(lesson.student_path, name="page")
            joined = self.post_once_more_if_closed(
                "/class/api/join", "join", json={"code": lesson.code, "student": student, "nickname": nickname}
            )
            if joined.status_code == 200 and nickname:
                lesson.nicknames += 1
            gevent.sleep(random.uniform(*THINK_S))
            chosen = random.choice(lesson.answers)
            body = {"code": lesson.code, "student": student, "question": QUESTION, "answer": chosen}
            answered = self.post_once_more_if_closed("/class/api/answer", "answer", json=body)
            if answered.status_code == 200:
                lesson.sent[chosen] += 1
                lesson.replicas[answered.headers.get("x-gallery-replica", "app.py")] += 1
            lesson.answered += 1
            self.wait_for_reveal(student)
        finally:
            lesson.finished += 1

    def wait_for_reveal(self, student: str) -> None:
        """As a page whose verdict is held: ask every ASK_EVERY_S seconds until QUESTION is revealed."""
        lesson, give_up = self.lesson, time.perf_counter() + FINISH_S
        while time.perf_counter() < give_up:
            gevent.sleep(ASK_EVERY_S)
            asked = self.post_once_more_if_closed("/class/api/revealed", "revealed", json={"code": lesson.code, "student": student})
            if asked.status_code == 200 and QUESTION in asked.json().get("revealed", []):
                lesson.seen_after.append(time.time() - lesson.revealed_at)
                return


class Teacher(FastHttpUser):
    """The teacher's page: the board, every BOARD_EVERY_S seconds, with the teacher's secret."""

    abstract = True
    lesson: Lesson
    fixed_count = 1
    wait_time = constant_pacing(BOARD_EVERY_S)

    @task
    def watch_board(self):
        headers = {"X-Teacher-Secret": self.lesson.secret}
        with self.client.get(f"/class/api/board?code={self.lesson.code}", name="board", headers=headers, catch_response=True) as board:
            if board.status_code == 200 and "questions" not in board.json():
                board.failure(f"the board has no questions: {board.text[:100]}")


def students_and_teacher(lesson: Lesson) -> list[type]:
    """The run's two user classes, holding its lesson (Locust makes the users from classes)."""
    return [type("Student", (Student,), {"lesson": lesson}), type("Teacher", (Teacher,), {"lesson": lesson})]


# ---------- a store, a server ----------


@contextlib.contextmanager
def fresh_store(postgres: str | None) -> Iterator[str]:
    """GALLERY_CLASS_DB for a store nothing has used: a SQLite file in a new temporary folder, or a
    new schema in `postgres`'s database (the URL's search_path set to it), dropped at the end."""
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="bench-class-") as folder:
            yield str(Path(folder) / "classes.db")
        return
    try:
        psycopg.connect(postgres, connect_timeout=10).close()
    except psycopg.Error as error:
        raise SystemExit(f"--postgres: could not connect: {str(error).strip()[:200]}") from None
    with postgres_schema(postgres, "bench_class") as url:
        yield url


@contextlib.contextmanager
def served(replicas: int, store: str, log: Path) -> Iterator[tuple[str, int]]:
    """bench.replicas.served on the class store `store`, its output (every replica's) kept in `log`:
    (base URL, session id)."""
    command = [sys.executable, "app.py"] if replicas == 0 else [str(ROOT / "deploy" / "serve.sh"), str(replicas), "{port}"]
    env = {"PYTHON": sys.executable, "GRADIO_SERVER_NAME": None, "GALLERY_CLASS_DB": store}
    with serving.served(command, env=env, timeout=240, new_session=True, log=log) as server:
        yield server.url, server.pid


def server_exceptions(log: Path) -> list[str]:
    """The exceptions a server's log ends tracebacks with, each with how often: "9x sqlite3....: ..."."""
    found = Counter(line.strip()[:160] for line in log.read_text(errors="replace").splitlines() if EXCEPTION.match(line.strip()))
    return [f"{count}x {line}" for line, count in found.most_common(5)]


def wait_until_quiet(session: int, processes: int) -> float:
    """Wait until the server's processes use under QUIET_CORE_SHARE of a core each for QUIET_S (the
    warm-up of every demo over, as bench/class_draw.py waits), at most WARM_UP_LIMIT_S; seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < WARM_UP_LIMIT_S:
        before = session_cpu_seconds(session)
        gevent.sleep(QUIET_S)
        if session_cpu_seconds(session) - before < QUIET_CORE_SHARE * processes * QUIET_S:
            break
    return time.perf_counter() - start


def still_serving(url: str) -> None:
    """A server that died while warming up uses no CPU either: say so, rather than fail on its first call."""
    try:
        httpx.get(f"{url}/class", timeout=60).raise_for_status()
    except httpx.HTTPError as error:
        raise RuntimeError(f"the server stopped answering during its warm-up ({error}): see its log below") from None


def start_class(url: str) -> Lesson:
    """The teacher starts the class through the API: the sketcher's page, at step STEP."""
    response = httpx.post(f"{url}/class/api/classes", json={"hours": 2, "settings": {"tab": TAB, "step": STEP}}, timeout=60)
    if response.status_code != 201:
        raise RuntimeError(f"starting a class answered {response.status_code}: {response.text[:200]}")
    made = response.json()
    return Lesson(url, made["code"], made["secret"], made["student_path"], tuple(sorted(questions()[QUESTION])))


def read_board(url: str, lesson: Lesson) -> dict:
    """What the board shows now: joined, nicknames, and QUESTION's count for each answer."""
    response = httpx.get(f"{url}/class/api/board", params={"code": lesson.code}, headers={"X-Teacher-Secret": lesson.secret}, timeout=60)
    response.raise_for_status()
    board = response.json()
    spread = next((q for q in board["questions"] if q["id"] == QUESTION), {"answers": []})
    return {"joined": board["joined"], "nicknames": len(board["nicknames"]), "counts": {a["id"]: a["count"] for a in spread["answers"]}}


# ---------- one setting ----------


def run_class(lesson: Lesson, students: int, spawn_rate: float, session: int) -> tuple[Environment, float]:
    """Locust in this process: the teacher and `students` students, until every student's turn is
    over (or FINISH_S after the last one started). Once all have answered, the class waits DISCUSS_S
    seconds, every page asking whether the step is revealed, and then the teacher reveals it. The
    finished Environment, and the server's cores used (CPU seconds a second) while the class waited."""
    environment = Environment(user_classes=students_and_teacher(lesson), host=lesson.url)
    runner = environment.create_local_runner()
    runner.start(students + 1, spawn_rate=spawn_rate)
    deadline = time.perf_counter() + students / spawn_rate + FINISH_S
    while lesson.answered < students and time.perf_counter() < deadline:
        gevent.sleep(0.2)
    cpu, began = session_cpu_seconds(session), time.perf_counter()
    gevent.sleep(DISCUSS_S)
    waiting_cores = (session_cpu_seconds(session) - cpu) / (time.perf_counter() - began)
    lesson.revealed_at = time.time()  # the teacher's click: a page may learn of it before the call returns
    httpx.post(
        f"{lesson.url}/class/api/reveal",
        json={"code": lesson.code, "question": QUESTION},
        headers={"X-Teacher-Secret": lesson.secret},
        timeout=30,
    ).raise_for_status()
    while lesson.finished < students and time.perf_counter() < deadline:
        gevent.sleep(0.2)
    gevent.sleep(BOARD_EVERY_S)  # the teacher's board once more, with every answer in
    runner.quit()
    return environment, waiting_cores


def measure(setting: str, replicas: int, store: str, students: int, spawn_rate: float, open_page: bool) -> dict:
    """One setting: a server on `store`, the class, the checks, the restart."""
    load_before = os.getloadavg()[0]
    log = Path(tempfile.mkdtemp(prefix="bench-class-log-")) / "server.log"
    with served(replicas, store, log) as (url, session):
        warmed = wait_until_quiet(session, max(replicas, 1))
        still_serving(url)
        lesson = start_class(url)
        lesson.open_page = open_page
        GradioUser.resent = 0
        began = time.perf_counter()
        environment, waiting_cores = run_class(lesson, students, spawn_rate, session)
        seconds = time.perf_counter() - began
        board = read_board(url, lesson)
    exceptions = server_exceptions(log)
    with served(replicas, store, log) as (url, _):  # the same store, a new server
        again = read_board(url, lesson)
    shutil.rmtree(log.parent, ignore_errors=True)
    entries = {
        name: environment.stats.get(name, method)
        for name, method in (("page", "GET"), ("join", "POST"), ("answer", "POST"), ("revealed", "POST"), ("board", "GET"))
    }
    failures = sum(entry.num_failures for entry in environment.stats.entries.values())
    counted = sum(board["counts"].values())
    checks = {
        f"answers counted = {students}": counted == students,
        f"joined = {students}": board["joined"] == students,
        "each answer's count = the students' tally": board["counts"] == {a: lesson.sent[a] for a in lesson.answers},
        f"students who took part = {students}": lesson.numbered == students,
        f"nicknames = {lesson.nicknames} sent": board["nicknames"] == lesson.nicknames,
        "0 failures": failures == 0,
        "the board after a restart = before": again == board,
        f"every student saw the reveal ({len(lesson.seen_after)})": len(lesson.seen_after) == students,
    }
    return {
        "setting": setting,
        "students": students,
        "counted": counted,
        "joined": board["joined"],
        "failures": failures,
        "errors": [f"{e.occurrences}x {e.method} {e.name}: {str(e.error)[:100]}" for e in environment.stats.errors.values()][:8],
        "exceptions": exceptions,
        "entries": entries,
        "restart": "same" if again == board else f"differs: {again} vs {board}",
        "checks": checks,
        "spread": dict(board["counts"]),
        "tally": dict(lesson.sent),
        "replicas": dict(sorted(lesson.replicas.items())),
        "resent": GradioUser.resent,
        "warmed": warmed,
        "seconds": seconds,
        "load": (load_before, os.getloadavg()[0]),
        "seen_after": sorted(lesson.seen_after),
        "waiting_cores": waiting_cores,
    }


# ---------- the report ----------


def summary_lines(results: list[dict]) -> list[str]:
    """The table the issue asks for: one row per setting."""
    lines = [
        f"{'setting':<34}{'students':>9}{'counted':>8}{'joined':>7}{'failures':>9}{'board p95 ms':>13}{'restart':>9}{'load before':>12}{'after':>6}  checks"
    ]
    for r in results:
        board = r["entries"]["board"].get_response_time_percentile(0.95) if r["entries"]["board"].num_requests else float("nan")
        passed = "all passed" if all(r["checks"].values()) else "FAILED: " + "; ".join(name for name, ok in r["checks"].items() if not ok)
        lines.append(
            f"{r['setting']:<34}{r['students']:>9}{r['counted']:>8}{r['joined']:>7}{r['failures']:>9}{board:>13.0f}"
            f"{r['restart'][:8]:>9}{r['load'][0]:>12.1f}{r['load'][1]:>6.1f}  {passed}"
        )
    return lines


def request_lines(results: list[dict]) -> list[str]:
    """Each request type's latency and rate, per setting (Locust rounds times over 100 ms to 10 ms,
    over 1000 ms to 100 ms; req/s is Locust's, over the span from its first such request to its last)."""
    lines = [f"{'setting':<34}{'request':<8}{'count':>7}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'req/s':>7}{'failures':>9}"]
    for r in results:
        for name in REQUESTS:
            e = r["entries"][name]
            if not e.num_requests:
                continue  # the page, unless --open-page
            p50, p95 = e.get_response_time_percentile(0.5), e.get_response_time_percentile(0.95)
            lines.append(
                f"{r['setting']:<34}{name:<8}{e.num_requests:>7}{p50:>8.0f}{p95:>8.0f}{e.max_response_time:>8.0f}{e.total_rps:>7.1f}{e.num_failures:>9}"
            )
    return lines


def detail_lines(results: list[dict]) -> list[str]:
    lines = []
    for r in results:
        lines.append(
            f"{r['setting']}: warm-up waited {r['warmed']:.0f} s; the class took {r['seconds']:.0f} s; board {r['spread']}, students' tally "
            f"{dict(sorted(r['tally'].items()))}; answers taken by {r['replicas']}; POSTs sent again after an idle close: {r['resent']}"
        )
        seen = r["seen_after"]
        if seen:
            p50, p95 = seen[len(seen) // 2], seen[min(len(seen) - 1, int(0.95 * len(seen)))]
            lines.append(
                f"    waiting for the reveal ({DISCUSS_S:g} s, every page asking every {ASK_EVERY_S:g} s): the server used "
                f"{r['waiting_cores']:.2f} cores; from the teacher's Reveal to a student's page learning it: p50 {p50:.2f} s, "
                f"p95 {p95:.2f} s, max {seen[-1]:.2f} s ({len(seen)} students)"
            )
        lines += [f"    error: {error}" for error in r["errors"]]
        lines += [f"    in the server's log: {exception}" for exception in r["exceptions"]]
    return lines


def tree() -> str:
    """The commit this ran on, and whether the working tree differed from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return f"{head}{' with uncommitted changes' if dirty else ''}"


def without_password(argument: str) -> str:
    """A command-line argument as the result may show it: a URL's password as ***."""
    parts = urllib.parse.urlsplit(argument)
    if not parts.scheme or parts.password is None:
        return argument
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


def settings_from(text: str) -> list[int]:
    """`--replicas 0,2` -> [0, 2]; a clear message for anything else."""
    try:
        replicas = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(f"--replicas takes whole numbers separated by commas (0: one python app.py), not {text!r}") from None
    if not replicas or any(n < 0 or n > 8 for n in replicas):
        raise SystemExit(f"--replicas takes numbers from 0 (one python app.py) to 8, not {text!r}")
    return replicas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20, help="students starting each second")
    parser.add_argument("--replicas", default="0,2", help="settings, one after the other: 0 is one python app.py, N is deploy/serve.sh N")
    parser.add_argument("--postgres", help="the store on PostgreSQL (a fresh schema in this database), not a SQLite file")
    parser.add_argument("--open-page", action="store_true", help="each student opens the class's page first, as a browser does")
    parser.add_argument("--out", type=Path, help="append the result to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 500:
        parser.error("--students: 1 to 500 (a class holds at most 500 students, core.classroom.store.Limits)")
    if args.postgres and not args.postgres.startswith(("postgresql://", "postgres://")):
        parser.error("--postgres takes a URL: postgresql://user:password@host:port/database")
    if not args.spawn_rate > 0:
        parser.error("--spawn-rate must be above 0")
    replicas = settings_from(args.replicas)
    database = "PostgreSQL" if args.postgres else "SQLite"

    command = " ".join(["python -m bench.class", *map(without_password, argv if argv is not None else sys.argv[1:])])
    lines = [
        f"## {command}",
        f"tree {tree()}, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; machine: {machine()}",
        f"{args.students} students (spawn rate {args.spawn_rate:g}/s, think {THINK_S[0]:g}-{THINK_S[1]:g} s) answer {QUESTION}{', each opening its page first' if args.open_page else ''}; the teacher's board every {BOARD_EVERY_S:g} s; store: {database}",
    ]
    print("\n".join(lines), flush=True)
    results = []
    for n in replicas:
        setting = f"{'python app.py' if n == 0 else f'deploy/serve.sh {n}'}, {database}"
        with fresh_store(args.postgres) as store:
            results.append(measure(setting, n, store, args.students, args.spawn_rate, args.open_page))
        print(f"{setting}: done, checks {'passed' if all(results[-1]['checks'].values()) else 'FAILED'}", flush=True)
    report = ["", *summary_lines(results), "", *request_lines(results), "", *detail_lines(results), ""]
    print("\n".join(report))
    if args.out:
        with open(args.out, "a") as out:
            out.write("\n".join(lines + report) + "\n")
    return 0 if all(all(r["checks"].values()) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
