"""The playground under load, on a real server: uvicorn on 127.0.0.1 in a subprocess, driven by
50 concurrent sessions that build, train and read their state in parallel.

What must hold: no request fails; every session sees only its own model (its weights after
training equal those of the same setup trained alone); the number of sessions and the server's
memory stay bounded; oversized and malformed requests get a 4xx with a message and the server
stays up; no static path escapes the static folder. Sized to run in well under a minute.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from glassnet.playground.config import LIMITS, parse_config
from glassnet.playground.sessions import Session

SESSIONS = 50
ROUNDS = 3  # train, then read, ROUNDS times per session
STEPS = 15  # steps per train request
ROOT = Path(__file__).resolve().parents[1]
JSON = {"Content-Type": "application/json"}
UPLOAD = {"Content-Type": "application/octet-stream"}  # the model-file import's type


def setup_for(i: int) -> dict:
    """A different setup for each session: its own seed, width, data and learning rate."""
    return {
        "dataset": {"name": "moons", "n_samples": 100 + 4 * i, "noise": 0.1},
        "layers": [{"units": 1 + i % 8, "activation": ("tanh", "relu", "sigmoid")[i % 3]}],
        "loss": "binary_crossentropy",
        "optimizer": ("sgd", "adam", "rmsprop")[i % 3],
        "learning_rate": 0.01 * (1 + i % 5),
        "batch_size": 8,
        "seed": i,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    code = (  # as `glassnet playground --port PORT` serves it
        "from glassnet.playground import server\n"
        "from glassnet.playground.app import create_app\n"
        f"server.serve(create_app(port={port}), server.bind('127.0.0.1', {port}))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/api/limits", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the playground did not start: {process.stdout.read()!r}")
        time.sleep(0.1)
    yield base, process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def raw_get(base: str, target: str) -> tuple[int, bytes]:
    """GET ``target`` byte for byte (httpx would normalise ``..`` away)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_fifty_concurrent_sessions_each_see_only_their_own_model(server) -> None:
    base, process = server
    start = time.monotonic()
    results: dict[int, dict] = {}
    failures: list[str] = []
    barrier = threading.Barrier(SESSIONS)

    def user(i: int) -> None:
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                barrier.wait()
                created = client.post("/api/sessions", json=setup_for(i))
                assert created.status_code == 201, created.text
                sid = created.json()["id"]
                for _ in range(ROUNDS):
                    trained = client.post(f"/api/sessions/{sid}/train", json={"steps": STEPS})
                    assert trained.status_code == 200, trained.text
                    shown = client.get(f"/api/sessions/{sid}")
                    assert shown.status_code == 200, shown.text
                traced = client.post(f"/api/sessions/{sid}/trace", json={"example": 0})
                assert traced.status_code == 200, traced.text
                results[i] = shown.json()
        except BaseException as error:  # collected and reported below
            failures.append(f"session {i}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=user, args=(i,)) for i in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert len(results) == SESSIONS
    assert len({state["id"] for state in results.values()}) == SESSIONS
    assert httpx.get(f"{base}/api/limits").json()["sessions"] >= SESSIONS
    for i, state in results.items():
        # the same setup trained alone, in this process: the same numbers, to the last bit
        alone = Session("alone", parse_config(setup_for(i)))
        for _ in range(ROUNDS):
            alone.train(STEPS)
        assert state["step"] == ROUNDS * STEPS
        assert state["config"]["seed"] == i
        assert state["layers"] == json.loads(json.dumps(alone.network())), f"session {i}"
    assert process.poll() is None
    assert time.monotonic() - start < 45


def test_sessions_and_memory_stay_bounded(server) -> None:
    base, process = server
    cap = LIMITS["max_sessions"]
    setup = setup_for(7) | {"dataset": {"name": "moons", "n_samples": 1000}}
    with httpx.Client(base_url=base, timeout=60) as client:
        first = [client.post("/api/sessions", json=setup).json()["id"] for _ in range(cap)]
        full = rss_mb(process.pid)
        for _ in range(2 * cap):  # twice as many again: the oldest are forgotten
            assert client.post("/api/sessions", json=setup).status_code == 201
        assert client.get("/api/limits").json()["sessions"] == cap
        after = rss_mb(process.pid)
        gone = client.get(f"/api/sessions/{first[0]}")
        assert gone.status_code == 404
        assert (
            "it has ended (the playground keeps the 64 most recently used" in (gone.json()["error"])
        )
    print(f"server memory: {full:.0f} MB at {cap} sessions, {after:.0f} MB after more")
    assert after - full < 60, (full, after)  # MB: bounded, not growing with every session


MALFORMED: list[tuple[str, str, bytes, int, str]] = [
    ("POST", "/api/sessions", b"{not json", 400, "The request body is not valid JSON"),
    (
        "POST",
        "/api/sessions",
        b"[1, 2]",
        400,
        "Expected a JSON object in the request body, got list",
    ),
    ("POST", "/api/sessions", b"\xff\xfe\x00garbage", 400, "not valid JSON"),
    ("POST", "/api/sessions", b"[" * 50_000 + b"]" * 50_000, 400, "nested too deeply"),
    ("POST", "/api/sessions", b'{"seed": 1' + b"0" * 5000 + b"}", 400, "more than 4300 digits"),
    ("POST", "/api/sessions", b'{"learning_rate": NaN}', 400, "learning_rate: expected a number"),
    ("POST", "/api/sessions", b'{"layers": [' + b'{"units": 8},' * 50 + b"{}]}", 400, "at most 6"),
    ("POST", "/api/sessions", b" " * (LIMITS["max_body_bytes"] + 10), 413, "accepts at most"),
    (
        "POST",
        "/api/sessions",
        json.dumps({"dataset": {"name": "csv", "csv": "a,b\n" * 60_000}}).encode(),
        400,
        "dataset.csv: expected at most 200000 bytes",
    ),
    ("POST", "/api/sessions/nope/train", b'{"steps": 1}', 404, "No session 'nope'"),
    ("GET", "/api/nothing-here", b"", 404, "No such page or endpoint: /api/nothing-here"),
    ("DELETE", "/api/limits", b"", 405, "DELETE is not allowed on /api/limits"),
]


def test_malformed_and_oversized_requests_get_4xx_and_the_server_stays_up(server) -> None:
    base, process = server
    with httpx.Client(base_url=base, timeout=30) as client:
        sid = client.post("/api/sessions", json=setup_for(1)).json()["id"]
        for method, path, body, status, message in MALFORMED:
            answer = client.request(method, path, content=body, headers=JSON)
            assert answer.status_code == status, (path, body[:40], answer.text)
            assert message in answer.json()["error"], (path, body[:40], answer.text)
        huge = client.post(f"/api/sessions/{sid}/train", json={"steps": 10**9})
        assert huge.status_code == 400
        assert "steps: expected an integer from 1 to 5000" in huge.json()["error"]
        # a body far larger than the limit, declared honestly: refused before it is read
        big = client.post(
            f"/api/sessions/{sid}/import",
            content=b"\0" * (8 * LIMITS["max_body_bytes"]),
            headers=UPLOAD,
        )
        assert big.status_code == 413 and "accepts at most" in big.json()["error"]
        assert client.get("/api/limits").status_code == 200
        assert client.get(f"/api/sessions/{sid}").status_code == 200  # nothing lost
    assert process.poll() is None


@pytest.mark.parametrize(
    "target",
    [
        "/static/../../pyproject.toml",
        "/static/../../../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static/..%2f..%2f..%2fpyproject.toml",
        "/static/%252e%252e/%252e%252e/pyproject.toml",
        "/static/..\\..\\pyproject.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/./../app.py",
        "/static/",
    ],
)
def test_static_paths_cannot_escape_the_static_folder(server, target) -> None:
    base, process = server
    status, body = raw_get(base, target)
    assert status in (400, 404), (target, status, body[:200])
    assert b"[project]" not in body and b"root:" not in body and b"import" not in body
    assert raw_get(base, "/static/app.js")[0] == 200
    assert process.poll() is None


def test_idle_sessions_expire() -> None:
    from starlette.testclient import TestClient

    from glassnet.playground.app import create_app
    from glassnet.playground.sessions import SessionStore

    now = [0.0]
    store = SessionStore(capacity=3, idle_seconds=60, clock=lambda: now[0])
    kept, idle = (store.create(parse_config(setup_for(i))) for i in range(2))
    now[0] = 50.0
    store.get(kept.id)  # using a session keeps it alive
    now[0] = 100.0
    assert len(store) == 1 and store.get(kept.id) is kept
    with pytest.raises(KeyError, match=r"each until it is 1 minutes idle\) or never existed"):
        store.get(idle.id)
    # the same through the app, in real time
    client = TestClient(create_app(session_idle_seconds=0.2), base_url="http://127.0.0.1:8000")
    sid = client.post("/api/sessions", json=setup_for(0)).json()["id"]
    assert client.get(f"/api/sessions/{sid}").status_code == 200
    time.sleep(0.3)
    gone = client.get(f"/api/sessions/{sid}")
    assert gone.status_code == 404 and "it has ended" in gone.json()["error"]
    assert client.get("/api/limits").json()["sessions"] == 0


def hostile_model_files(tmp_path: Path) -> dict[str, bytes]:
    """A real export, then the same file with its header changed to ask for far too much."""
    import zipfile

    import numpy as np

    from glassnet import io as model_io
    from glassnet.playground.sessions import build_model

    model = build_model(parse_config(setup_for(1)), 2, 2)
    path = tmp_path / "real.glassnet"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        header = json.loads(np.load(archive.open("header.npy")).tobytes())
        arrays = {
            name[:-4]: np.load(archive.open(name))
            for name in archive.namelist()
            if name != "header.npy"
        }

    def with_header(raw: bytes, extra: dict | None = None) -> bytes:
        target = tmp_path / "hostile.glassnet"
        with zipfile.ZipFile(target, "w") as archive:
            for name, array in [("header", np.frombuffer(raw, np.uint8)), *arrays.items()]:
                with archive.open(name + ".npy", "w") as member:
                    np.lib.format.write_array(member, array)
            for name, array in (extra or {}).items():
                with archive.open(name + ".npy", "w") as member:
                    np.lib.format.write_array(member, array, allow_pickle=True)
            archive.comment = model_io.SEAL_PREFIX + b"0" * 64
        with open(target, "r+b") as file:
            model_io._seal(file)  # forged like a real file
        return target.read_bytes()

    huge = dict(header, input_features=2)
    huge["layers"] = [dict(layer) for layer in header["layers"]]
    huge["layers"][0]["units"] = 40_000
    huge["checksum"] = model_io._checksum(huge, arrays)
    wide = dict(huge, input_features=40_000)
    pickled = np.empty(1, dtype=object)
    pickled[0] = {"not": "data"}
    return {
        "huge": with_header(json.dumps(huge).encode()),
        "wide": with_header(json.dumps(wide).encode()),
        "deep": with_header(b"[" * 100_000 + b"]" * 100_000),
        "pickle": with_header(json.dumps(header).encode(), {"payload": pickled}),
        "truncated": path.read_bytes()[:-100],
    }


def test_hostile_model_files_are_refused_by_the_server(server, tmp_path) -> None:
    base, process = server
    with httpx.Client(base_url=base, timeout=30) as client:
        sid = client.post("/api/sessions", json=setup_for(1)).json()["id"]
        for name, content in hostile_model_files(tmp_path).items():
            start = time.monotonic()
            answer = client.post(f"/api/sessions/{sid}/import", content=content, headers=UPLOAD)
            assert answer.status_code == 400, (name, answer.text)
            assert answer.json()["error"].startswith(
                ("The file's network is larger than", "Could not read that .glassnet file")
            ), (name, answer.text)
            assert time.monotonic() - start < 5, name
        assert client.get(f"/api/sessions/{sid}").status_code == 200
    assert process.poll() is None


# -- no request holds up another ----------------------------------------------------------------
BIGGEST = {  # the most work one session allows: 1000 examples, 6 layers of 8, Adam, batch 1
    "dataset": {"name": "spiral", "n_samples": 1000, "classes": 5, "test_fraction": 0.5},
    "layers": [{"units": 8, "activation": "tanh"}] * 6,
    "loss": "categorical_crossentropy",
    "optimizer": "adam",
    "learning_rate": 0.001,
    "batch_size": 1,
}


def test_limits_answer_fast_while_the_biggest_request_runs(server) -> None:
    # before: training ran on the event loop, and every other request waited for it to end
    base, process = server
    with httpx.Client(base_url=base, timeout=60) as client:
        sid = client.post("/api/sessions", json=BIGGEST).json()["id"]
        wide = "a," * 99_989 + "a\n1\n"  # 200 kB, 99,990 columns, all named "a"
        big_requests = [
            (f"/api/sessions/{sid}/train", {"steps": LIMITS["max_steps_per_request"]}),
            ("/api/sessions", {"dataset": {"name": "csv", "csv": wide}}),
        ]
        for path, payload in big_requests:
            answers: list[httpx.Response] = []

            def ask(p: str = path, b: dict = payload, out: list = answers) -> None:
                out.append(client.post(p, json=b))

            worker = threading.Thread(target=ask)
            start = time.monotonic()
            worker.start()
            delays = []
            while worker.is_alive() and time.monotonic() - start < 60:  # bounded in time
                asked = time.monotonic()
                assert httpx.get(f"{base}/api/limits", timeout=5).status_code == 200
                delays.append(time.monotonic() - asked)
                time.sleep(0.05)
            worker.join(timeout=60)
            took = time.monotonic() - start
            print(
                f"{path}: {took:.2f} s, {len(delays)} limits answered, slowest {max(delays):.3f} s"
            )
            assert answers and answers[0].status_code in (200, 400), answers
            assert max(delays) < 0.5, (path, max(delays))
        assert answers[0].status_code == 400 and "99990 columns" in answers[0].text
        assert took < 5  # the width is checked before any per-column work
    assert process.poll() is None


def test_repeated_column_names_are_found_in_linear_time() -> None:
    # before: names.count(name) for every name, quadratic: minutes for 99,990 columns
    from glassnet import csvfiles

    start = time.monotonic()
    with pytest.raises(ValueError, match=r"has more than one column named 'a'; every column"):
        csvfiles.read_csv_text("a," * 99_989 + "a\n" + "1," * 99_989 + "1\n", "the upload")
    assert time.monotonic() - start < 3


@pytest.fixture(scope="module")
def impatient() -> Iterator[str]:
    """The same server with 1-second bounds for request heads, bodies and idle connections."""
    port = free_port()
    code = (
        "from glassnet.playground import server\n"
        "from glassnet.playground.app import create_app\n"
        "from glassnet.playground.config import LIMITS\n"
        "LIMITS.update(request_head_seconds=1, body_seconds=1, keep_alive_seconds=1)\n"
        f"server.serve(create_app(port={port}), server.bind('127.0.0.1', {port}))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/api/limits", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "no server"
        time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


def closed_by_server(connection: socket.socket, seconds: float) -> bool:
    """True when the server closes ``connection`` within ``seconds`` (reading what it sends)."""
    connection.settimeout(seconds)
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            if connection.recv(65536) == b"":
                return True
    except (TimeoutError, ConnectionResetError) as error:
        return isinstance(error, ConnectionResetError)
    return False


def test_half_sent_requests_are_closed_and_others_still_answered(impatient) -> None:
    # before: uvicorn waited for ever for a request head that never ends (1,500 of them held
    # the server); now each request has LIMITS["request_head_seconds"] to arrive
    base = impatient
    port = int(base.rsplit(":", 1)[1])
    slow: list[socket.socket] = []
    try:
        for _ in range(300):  # a bounded number of slow clients, on loopback only
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.sendall(b"GET /api/limits HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port)
            slow.append(connection)
        asked = time.monotonic()
        assert httpx.get(f"{base}/api/limits", timeout=5).status_code == 200
        assert time.monotonic() - asked < 0.5
        for connection in slow[:10]:  # a byte now and then does not extend the deadline
            connection.sendall(b"X")
        time.sleep(1.5)
        assert all(closed_by_server(connection, 3) for connection in slow)
        # a connection that sends nothing at all, and one that stays idle after an answer
        silent = socket.create_connection(("127.0.0.1", port), timeout=5)
        kept = socket.create_connection(("127.0.0.1", port), timeout=5)
        kept.sendall(b"GET /api/limits HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
        assert kept.recv(65536).startswith(b"HTTP/1.1 200")
        assert closed_by_server(silent, 3) and closed_by_server(kept, 3)
        silent.close()
        kept.close()
    finally:
        for connection in slow:
            connection.close()


def test_a_body_that_never_ends_gets_408(impatient) -> None:
    port = int(impatient.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{" % port
        )
        start = time.monotonic()
        answer = b""
        while b"}" not in answer and time.monotonic() - start < 10:
            answer += connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"The request body did not arrive within 1 seconds; send it at once." in answer
    assert httpx.get(f"{impatient}/api/limits", timeout=5).status_code == 200
