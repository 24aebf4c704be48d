"""The app under a burst of concurrent use: every request answered, right, and in time.

Eight clients (threads, each with its own `gradio_client.Client`, so its own session) send four
requests each, all at once, to the app around conftest's tiny pipeline. Every request must come
back within its time limit with the right outputs; identical requests must get identical answers
(concurrent runs share nothing); the queue must never run more restorations at once than its
concurrency limit; and afterwards the server must still answer. The figures (requests, failures,
latency percentiles, most runs at once) are printed: `pytest -s` or `-rA` shows them.
"""

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from app_helpers import drawn_face, editor_value, serve
from gradio_client import Client
from PIL import Image

from demo.interface import CONCURRENCY_LIMIT, QUEUE_SIZE
from ganmap import TASKS

CLIENTS, REQUESTS_PER_CLIENT = 8, 4
TIMEOUT_S = 120  # per request; the whole burst takes seconds
ITERATIONS, RESTARTS = 5, 2
TASK_LIST = list(TASKS)


class CountingPipeline:
    """The tiny pipeline, counting the restorations in flight (the queue must bound them)."""

    def __init__(self, pipe) -> None:
        self._pipe = pipe
        self._lock = threading.Lock()
        self.in_flight = self.most_at_once = self.calls = 0

    def __getattr__(self, name: str):  # defaults, generate, ...: the pipeline's own
        return getattr(self._pipe, name)

    def __call__(self, *args, **kwargs):
        with self._lock:
            self.in_flight += 1
            self.calls += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            return self._pipe(*args, **kwargs)
        finally:
            with self._lock:
                self.in_flight -= 1


@dataclass
class Answer:
    client: int
    task: str
    seed: int
    seconds: float
    error: str | None = None
    restoration: np.ndarray | None = None


@pytest.fixture(scope="module")
def counting_pipe(tiny_pipeline) -> CountingPipeline:
    return CountingPipeline(tiny_pipeline)


@pytest.fixture(scope="module")
def app_url(counting_pipe, tmp_path_factory):
    yield from serve(counting_pipe, tmp_path_factory.mktemp("examples"))


@pytest.fixture(scope="module")
def face_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("inputs") / "face.png"
    drawn_face(size=96).save(path)
    return path


def new_client(url: str, downloads: Path) -> Client:
    return Client(url, verbose=False, analytics_enabled=False, download_files=str(downloads))


def restore(client: Client, face_file: Path, task: str, seed: int) -> np.ndarray:
    """One request, time-limited, its answer checked; returns the restoration's pixels."""
    job = client.submit(
        editor_value(face_file),
        task,
        "corrupt",
        "centre",
        0.003,
        ITERATIONS,
        RESTARTS,
        seed,
        0,
        0,
        api_name="/restore",
    )
    (before, after), faces, files, summary, curve, candidates = job.result(timeout=TIMEOUT_S)
    side = 16 if task == "super-resolution" else 64
    assert Image.open(faces[0]["image"]).size == (side, side), f"{task}: observation size"
    restored = Image.open(after)
    assert (restored.size, restored.mode) == ((64, 64), "RGB"), f"{task}: restoration"
    assert len(candidates) == RESTARTS, f"{task}: one candidate per restart"
    objective = [row[2] for row in curve["data"]]  # (run, iteration, objective)
    assert 1 <= len(objective) <= ITERATIONS, f"{task}: objective curve length"
    assert np.isfinite(objective).all(), f"{task}: objective not finite: {objective}"
    assert summary.startswith("**"), f"{task}: summary"
    return np.asarray(restored)


def one_client(url: str, number: int, face_file: Path, downloads: Path, answers: list) -> None:
    """A user pressing Restore four times in a row, each time another task and seed."""
    client = new_client(url, downloads)
    for k in range(REQUESTS_PER_CLIENT):
        index = number * REQUESTS_PER_CLIENT + k
        task, seed = TASK_LIST[index % len(TASK_LIST)], index % 2
        started = time.perf_counter()
        answer = Answer(number, task, seed, 0.0)
        try:
            answer.restoration = restore(client, face_file, task, seed)
        except Exception as error:  # every failure is counted and reported
            answer.error = f"{type(error).__name__}: {error}"
        answer.seconds = time.perf_counter() - started
        answers.append(answer)  # list.append is atomic


@pytest.mark.slow
def test_a_burst_of_concurrent_requests_is_served_correctly(
    app_url, counting_pipe, face_file, tmp_path
):
    assert CLIENTS <= QUEUE_SIZE, "the burst fits the queue: nobody is turned away"
    answers: list[Answer] = []
    threads = [
        threading.Thread(
            target=one_client,
            args=(app_url, n, face_file, tmp_path / f"client{n}", answers),
            daemon=True,
        )
        for n in range(CLIENTS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:  # each request has its own limit; this only guards the test itself
        thread.join(timeout=REQUESTS_PER_CLIENT * TIMEOUT_S + 60)
    wall = time.perf_counter() - started

    failures = [a for a in answers if a.error is not None]
    seconds = [a.seconds for a in answers]
    p50, p95 = np.percentile(seconds, [50, 95]) if seconds else (float("nan"),) * 2
    figures = (
        f"{len(answers)} requests from {CLIENTS} clients in {wall:.1f} s: "
        f"{len(failures)} failures, latency p50 {p50:.2f} s, p95 {p95:.2f} s, "
        f"max {max(seconds, default=float('nan')):.2f} s; "
        f"most restorations at once {counting_pipe.most_at_once} (limit {CONCURRENCY_LIMIT})"
    )
    print(f"\nload: {figures}")

    assert not any(thread.is_alive() for thread in threads), f"a client hung; {figures}"
    assert len(answers) == CLIENTS * REQUESTS_PER_CLIENT, f"requests went missing; {figures}"
    assert not failures, f"{figures}; first failures: {[a.error for a in failures[:3]]}"
    assert counting_pipe.calls == len(answers), f"one restoration per request; {figures}"
    assert 1 <= counting_pipe.most_at_once <= CONCURRENCY_LIMIT, f"queue unbounded; {figures}"

    same_request = defaultdict(list)  # concurrent runs must not leak into each other
    for answer in answers:
        same_request[answer.task, answer.seed].append(answer)
    for (task, seed), group in same_request.items():
        for other in group[1:]:
            assert np.array_equal(other.restoration, group[0].restoration), (
                f"{task} with seed {seed}: clients {group[0].client} and {other.client} "
                f"got different restorations; {figures}"
            )


@pytest.mark.slow
def test_after_the_burst_the_server_still_answers(app_url, counting_pipe, face_file, tmp_path):
    """Runs after the burst (file order); also alone, as a plain health check."""
    assert httpx.get(app_url, timeout=30).status_code == 200, "the page is served"
    restored = restore(new_client(app_url, tmp_path), face_file, "denoising", seed=0)
    assert restored.shape == (64, 64, 3), "a normal request is served"
    assert counting_pipe.in_flight == 0, "no restoration is left running"
