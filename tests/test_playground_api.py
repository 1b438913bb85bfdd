"""The playground's JSON API through Starlette's TestClient: every endpoint, every validation error,
the numbers against the engine's, and the exported script run for real."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys

import numpy as np
import pytest
from starlette.testclient import TestClient

import glassnet as gn
from glassnet import datasets
from glassnet.playground.app import create_app
from glassnet.playground.config import LIMITS
from helpers import XOR_241

BASE = "http://127.0.0.1:8000"  # the playground answers only its own address (guard.py)
JSON = {"Content-Type": "application/json"}
UPLOAD = {"Content-Type": "application/octet-stream"}  # the model-file import's type

CSV_TEXT = "height,weight,kind\n" + "".join(
    f"{h:.2f},{w:.2f},{'cat' if h < 0.5 else 'dog'}\n"
    for h, w in np.random.default_rng(3).uniform(0, 1, size=(30, 2))
)


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(), base_url=BASE)


def create(client: TestClient, config: dict) -> dict:
    response = client.post("/api/sessions", json=config)
    assert response.status_code == 201, response.text
    return response.json()


def engine_241() -> tuple[gn.Sequential, np.ndarray, np.ndarray]:
    """XOR_241 built with the engine directly: the 2-4-1 model, compiled, and the XOR data."""
    model = gn.Sequential(
        [
            gn.Input(shape=(2,)),
            gn.layers.Dense(4, activation="tanh"),
            gn.layers.Dense(1, activation="sigmoid"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile(
        optimizer=gn.SGD(learning_rate=0.5), loss="binary_crossentropy", metrics=["accuracy"]
    )
    x, y = datasets.xor()
    return model, x[:, :2], y.ravel()


def run_script(code: str) -> dict[str, float]:
    """Run an exported script with this venv's Python; its printed 'train loss L accuracy A'."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    numbers = {}
    for line in out.stdout.splitlines():
        words = line.split()
        if words[0] in ("train", "test"):
            numbers[f"{words[0]}_loss"] = float(words[2])
            numbers[f"{words[0]}_accuracy"] = float(words[4])
    return numbers


# -- the page and the limits -------------------------------------------------------------
def test_page_and_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "glassnet playground" in page.text
    for name in ("app.js", "draw.js", "format.js", "stepper.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "http" not in page.text.replace("http://www.w3.org", "")  # no CDN: works offline


def test_limits_lists_bounds_and_choices(client):
    info = client.get("/api/limits").json()
    assert info["limits"] == LIMITS
    assert info["datasets"] == [
        "xor",
        "xor_seed",
        "moons",
        "circles",
        "spiral",
        "blobs",
        "sine",
        "csv",
    ]
    assert info["initializers"] == ["glorot_uniform", "seed_notebook"]
    assert info["presets"]["seed"]["loss"] == "half_sum_squared_error"
    assert "categorical_crossentropy" in info["losses"] and info["levels"] == [
        "kid",
        "student",
        "expert",
    ]


# -- sessions: the numbers are the engine's ----------------------------------------------
def test_create_returns_the_engines_initial_weights_and_loss(client):
    state = create(client, XOR_241)
    model, x, y = engine_241()
    np.testing.assert_array_equal(np.array(state["layers"][0]["kernel"]), model.get_weights()[0])
    assert state["metrics"]["loss"] == model.evaluate(x, y)[0]
    assert state["step"] == 0 and state["data"]["x_train"] == x.tolist()
    assert state["grids"]["extent"] == [[-0.25, 1.25], [-0.25, 1.25]]
    assert len(state["grids"]["units"][0]) == 4 and len(state["grids"]["units"][0][0]) == 20 * 20


def test_train_steps_match_fit_with_the_same_seed(client):
    session = create(client, XOR_241)
    state = client.post(f"/api/sessions/{session['id']}/train", json={"steps": 50}).json()
    model, x, y = engine_241()
    model.fit(x, y, epochs=50, batch_size=4, verbose=0)
    np.testing.assert_array_equal(np.array(state["layers"][1]["kernel"]), model.get_weights()[2])
    assert state["metrics"]["loss"] == model.evaluate(x, y)[0]
    assert (state["step"], state["epoch"], len(state["history"])) == (50, 50, 2)
    assert "data" not in state


def test_epochs_finish_the_current_epoch_and_show_and_reset(client):
    config = {**XOR_241, "dataset": {"name": "moons", "n_samples": 40}, "batch_size": 6}
    sid = create(client, config)["id"]
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 2}).json()
    assert (state["batch_in_epoch"], state["batches_per_epoch"]) == (2, 5)  # 30 train examples
    state = client.post(f"/api/sessions/{sid}/train", json={"epochs": 2}).json()
    assert (state["step"], state["epoch"], state["batch_in_epoch"]) == (10, 2, 0)
    shown = client.get(f"/api/sessions/{sid}").json()
    assert shown["step"] == 10 and len(shown["data"]["x_test"]) == 10
    fresh = client.post(f"/api/sessions/{sid}/reset").json()
    assert fresh["step"] == 0 and fresh["layers"] == create(client, config)["layers"]


def test_every_data_set_and_loss_builds(client):
    for dataset, loss, units in [
        ({"name": "circles", "n_samples": 50}, "mse", 1),
        ({"name": "spiral", "n_samples": 60, "classes": 4}, "categorical_crossentropy", 4),
        ({"name": "blobs", "n_samples": 60, "classes": 3}, "mse", 3),
        ({"name": "csv", "csv": CSV_TEXT, "target": "kind"}, "binary_crossentropy", 1),
    ]:
        state = create(client, {**XOR_241, "dataset": dataset, "loss": loss})
        assert state["layers"][-1]["units"] == units
        assert state["classes"] == max(units, 2)
    assert state["features"] == ["height", "weight"] and len(state["data"]["x_train"]) == 22
    assert state["class_names"] == ["cat", "dog"]


def test_csv_with_many_features_has_no_plane(client):
    text = "a,b,c,label\n" + "".join(f"{i},{i % 3},{i % 5},{i % 2}\n" for i in range(20))
    state = create(client, {**XOR_241, "dataset": {"name": "csv", "csv": text}})
    assert state["grids"] is None and state["features"] == ["a", "b", "c"]
    traced = client.post(f"/api/sessions/{state['id']}/trace", json={"example": 2}).json()
    assert traced["stages"][0]["entries"][0]["shape"] == [1, 3]


def test_trace_walks_one_example_and_narrates_without_training(client):
    sid = create(client, XOR_241)["id"]
    before = client.get(f"/api/sessions/{sid}").json()["layers"]
    result = client.post(f"/api/sessions/{sid}/trace", json={"example": 3, "level": "kid"}).json()
    titles = [stage["title"] for stage in result["stages"]]
    assert titles == [
        "input",
        "forward, layer 1",
        "forward, layer 2",
        "loss",
        "backward, layer 2",
        "backward, layer 1",
        "update",
    ]
    assert result["x"] == [1.0, 1.0] and result["label"] == 0
    assert "<section" in result["narration"]
    symbols = {e["symbol"]: e for stage in result["stages"] for e in stage["entries"]}
    assert symbols["W1"]["value"] == before[0]["kernel"]
    assert symbols["dC/dW1"]["shape"] == [2, 4]
    assert client.get(f"/api/sessions/{sid}").json()["layers"] == before  # a look, not a step
    test_split = client.post(
        f"/api/sessions/{create(client, {**XOR_241, 'dataset': {'name': 'moons', 'n_samples': 20}})['id']}/trace",
        json={"split": "test", "example": 0, "level": "expert"},
    )
    assert test_split.status_code == 200 and test_split.json()["split"] == "test"


# -- export: the script reproduces the page's numbers --------------------------------------
@pytest.mark.parametrize(
    "config, steps",
    [
        (XOR_241, 120),
        (
            {
                **XOR_241,
                "dataset": {"name": "spiral", "n_samples": 60, "classes": 3},
                "loss": "mse",
                "optimizer": "adam",
                "learning_rate": 0.01,
                "batch_size": 7,
                "layers": [{"units": 8}, {"units": 6, "activation": "relu"}],
            },
            23,
        ),
        (
            {
                **XOR_241,
                "dataset": {"name": "csv", "csv": CSV_TEXT},
                "optimizer": "rmsprop",
                "learning_rate": 0.01,
                "batch_size": 5,
            },
            9,
        ),
    ],
)
def test_exported_script_reproduces_the_loss(client, config, steps):
    sid = create(client, config)["id"]
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": steps}).json()
    response = client.get(f"/api/sessions/{sid}/export.py")
    assert response.headers["content-disposition"].endswith(f'step{steps}.py"')
    printed = run_script(response.text)
    assert printed["train_loss"] == state["metrics"]["loss"]
    assert printed["train_accuracy"] == state["metrics"]["accuracy"]
    if state["metrics"]["test_loss"] is not None:
        assert printed["test_loss"] == state["metrics"]["test_loss"]


# -- validation: every error is JSON with a message ----------------------------------------
BAD_CONFIGS = [
    ({"dataset": []}, "dataset: expected a JSON object, got list."),
    ({"colour": 1}, "config: unknown field(s) 'colour'."),
    (
        {"dataset": {"name": "mnist"}},
        "dataset.name: expected one of 'xor', 'xor_seed', 'moons', 'circles', 'spiral', 'blobs', "
        "'sine', 'csv', got 'mnist'.",
    ),
    (
        {"dataset": {"name": "moons", "n_samples": 5}},
        "dataset.n_samples: expected an integer from 10 to 1000, got 5.",
    ),
    (
        {"dataset": {"name": "moons", "noise": -1}},
        "dataset.noise: expected a number from 0 to 1, got -1.",
    ),
    (
        {"dataset": {"name": "spiral", "classes": 6}},
        "dataset.classes: expected an integer from 2 to 5, got 6.",
    ),
    (
        {"dataset": {"name": "moons", "test_fraction": 0.9}},
        "dataset.test_fraction: expected a number from 0 to 0.5, got 0.9.",
    ),
    ({"dataset": {"name": "csv"}}, "dataset.csv: expected the CSV file's text"),
    (
        {"dataset": {"name": "csv", "csv": "x" * 200_001}},
        "dataset.csv: expected at most 200000 bytes, got 200001.",
    ),
    (
        {"dataset": {"name": "moons", "csv": "a,b\n1,2\n"}},
        "dataset.csv: only the 'csv' data set takes a file, not 'moons'.",
    ),
    (
        {"dataset": {"name": "csv", "csv": "a,b\n1,2\n", "target": 3}},
        "dataset.target: expected a column name, got 3.",
    ),
    (
        {"dataset": {"name": "csv", "csv": "a,b,c\n1,2,0.5\n" * 1 + "3,4,0.25\n" * 10}},
        "fractional numbers (such as 0.5), which are not class labels",
    ),
    (
        {"dataset": {"name": "csv", "csv": "a,b\n1,0\n2,1\n"}},
        "the uploaded CSV has 2 rows; expected 10 to 1000. Add rows.",
    ),
    (
        {"dataset": {"name": "csv", "csv": "a,b\n1,0\nx,1\n"}},
        "the uploaded CSV, line 3, column 'a': 'x' is not a number.",
    ),
    (
        {"dataset": {"name": "csv", "csv": "a,b\n" + "1,0\n" * 12, "target": "c"}},
        "the uploaded CSV has no column 'c'",
    ),
    (
        {"dataset": {"name": "csv", "csv": "a,b\n" + "1,7\n" * 12}},
        "the uploaded CSV's target has classes [7]; expected 2 to 10 classes",
    ),
    (
        {
            "dataset": {
                "name": "csv",
                "csv": ",".join(f"f{i}" for i in range(18)) + "\n" + ("1," * 17 + "0\n") * 12,
            }
        },
        "the uploaded CSV has 18 columns; expected at most 17 (at most 16 features and the target).",
    ),
    ({"layers": {"units": 4}}, "layers: expected a list of hidden layers"),
    ({"layers": [{"units": 4}] * 7}, "layers: expected at most 6 hidden layers, got 7. Remove 1."),
    (
        {"layers": [{"units": 0}]},
        "layers[0].units: expected an integer from 1 to 8, got 0. Use at most 8 units.",
    ),
    (
        {"layers": [{"units": 2, "activation": "swish"}]},
        "layers[0].activation: expected one of 'tanh', 'relu', 'sigmoid', 'leaky_relu', 'linear', got 'swish'.",
    ),
    ({"layers": [{"units": 2, "dropout": 0.5}]}, "layers[0]: unknown field(s) 'dropout'."),
    ({"layers": ["dense"]}, "layers[0]: expected a JSON object, got str."),
    (
        {"loss": "hinge"},
        "loss: expected one of 'binary_crossentropy', 'categorical_crossentropy', 'mse', "
        "'half_sum_squared_error', got 'hinge'.",
    ),
    (
        {"dataset": {"name": "spiral", "classes": 3}},
        "loss: binary_crossentropy needs 2 classes, but the spiral data set has 3.",
    ),
    ({"optimizer": "lbfgs"}, "optimizer: expected one of 'sgd', 'adam', 'rmsprop', got 'lbfgs'."),
    ({"learning_rate": 0}, "learning_rate: expected a number from 1e-06 to 10, got 0."),
    ({"learning_rate": "fast"}, "learning_rate: expected a number from 1e-06 to 10, got 'fast'."),
    ({"batch_size": 2.5}, "batch_size: expected an integer from 1 to 1000, got 2.5."),
    ({"batch_size": 5}, "batch_size: expected at most the 4 training examples, got 5."),
    ({"l2": -0.1}, "l2: expected a number from 0 to 1, got -0.1."),
    (
        {"seed": True},
        "seed: expected an integer from 0 to 2147483647, got true (a boolean is not a seed).",
    ),
]


@pytest.mark.parametrize("config, message", BAD_CONFIGS)
def test_bad_setups_answer_400_with_the_message(client, config, message):
    response = client.post("/api/sessions", json=config)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_bad_requests_answer_json_errors(client):
    sid = create(client, XOR_241)["id"]
    cases = [
        (
            client.post("/api/sessions", content=b"{nope", headers=JSON),
            400,
            "The request body is not valid JSON",
        ),
        (
            client.post(
                "/api/sessions", content=b"x" * (LIMITS["max_body_bytes"] + 1), headers=JSON
            ),
            413,
            "accepts at most 1000000",
        ),
        (client.get("/api/sessions/feedbeef"), 404, "No session 'feedbeef'"),
        (client.post("/api/sessions/feedbeef/train", json={"steps": 1}), 404, "Press Build"),
        (client.get("/api/nowhere"), 404, "No such page or endpoint: /api/nowhere."),
        (client.delete("/api/limits"), 405, "DELETE is not allowed on /api/limits."),
        (
            client.post(f"/api/sessions/{sid}/train", json={}),
            400,
            'expected exactly one of {"steps": n} or {"epochs": n}',
        ),
        (
            client.post(f"/api/sessions/{sid}/train", json={"steps": 1, "epochs": 1}),
            400,
            "expected exactly one",
        ),
        (
            client.post(f"/api/sessions/{sid}/train", json={"steps": 0}),
            400,
            "steps: expected an integer from 1 to 5000, got 0.",
        ),
        (client.post(f"/api/sessions/{sid}/train", json={"steps": 5001}), 400, "got 5001"),
        (
            client.post(f"/api/sessions/{sid}/train", json={"epochs": 5001}),
            400,
            "epochs: expected an integer from 1 to 5000",
        ),
        (
            client.post(f"/api/sessions/{sid}/train", json={"runs": 1}),
            400,
            "train: unknown field(s) 'runs'.",
        ),
        (
            client.post(f"/api/sessions/{sid}/train", json=[1]),
            400,
            "Expected a JSON object in the request body, got list.",
        ),
        (
            client.post(f"/api/sessions/{sid}/trace", json={"example": 4}),
            400,
            "example: expected an index from 0 to 3 of the train set, got 4.",
        ),
        (
            client.post(f"/api/sessions/{sid}/trace", json={"split": "valid"}),
            400,
            "split: expected 'train' or 'test', got 'valid'.",
        ),
        (
            client.post(f"/api/sessions/{sid}/trace", json={"split": "test"}),
            400,
            "split: this session has no test set (its test share is 0). Step through a "
            "training example, or set a test share above 0 and build again.",
        ),
        (
            client.post(f"/api/sessions/{sid}/trace", json={"level": "phd"}),
            400,
            "level: expected one of 'kid', 'student', 'expert', got 'phd'.",
        ),
        (
            client.post(f"/api/sessions/{sid}/trace", json={"why": 1}),
            400,
            "trace: unknown field(s) 'why'.",
        ),
    ]
    for response, status, message in cases:
        assert response.status_code == status, response.text
        assert message in response.json()["error"], response.json()


def test_epochs_bound_counts_steps(client):
    sid = create(
        client, {**XOR_241, "dataset": {"name": "moons", "n_samples": 1000}, "batch_size": 1}
    )["id"]
    response = client.post(f"/api/sessions/{sid}/train", json={"epochs": 7})
    assert response.status_code == 400
    assert response.json()["error"].startswith(
        "epochs: 7 epochs are 5250 steps of batch size 1; at most 5000"
    )


def test_divergence_is_reported(client):
    config = {
        **XOR_241,
        "dataset": {"name": "blobs", "n_samples": 40, "classes": 2, "noise": 1.0},
        "loss": "categorical_crossentropy",
        "layers": [{"units": 8, "activation": "linear"}] * 6,
        "learning_rate": 10.0,
        # weight decay of 10 * 2 * 1.0 per step: the weights grow ninefold each step. (The
        # clipped cross-entropy alone no longer diverges: a saturated softmax has no gradient.)
        "l2": 1.0,
    }
    sid = create(client, config)["id"]
    response = client.post(f"/api/sessions/{sid}/train", json={"steps": 200})
    assert response.status_code == 400
    assert (
        "Training diverged" in response.json()["error"]
        and "Press Reset" in response.json()["error"]
    )


def test_sessions_are_bounded(client):
    first = create(client, XOR_241)["id"]
    for _ in range(LIMITS["max_sessions"]):
        create(client, XOR_241)
    assert client.get("/api/limits").json()["sessions"] == LIMITS["max_sessions"]
    assert client.get(f"/api/sessions/{first}").status_code == 404


# -- the command ---------------------------------------------------------------------------
class FakeServer:
    """Stands in for ``glassnet.playground.server``: takes no port, serves nothing, records."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def bind(self, host: str, port: int) -> contextlib.nullcontext:
        self.calls.append({"host": host, "port": port})
        return contextlib.nullcontext()

    def serve(self, app, sock) -> None:
        self.calls[-1]["app"] = app


def test_command_serves_on_loopback_and_opens_the_page(monkeypatch, capsys):
    from glassnet.cli import main
    from glassnet.cli import playground as command

    fake, opened = FakeServer(), []
    monkeypatch.setattr(command, "load_server", lambda: (fake, create_app))
    monkeypatch.setattr(
        command.threading,
        "Timer",
        lambda delay, function, args: type("T", (), {"start": lambda self: opened.append(args)})(),
    )
    assert main(["playground", "--port", "8123", "--open"]) == 0
    assert fake.calls[0]["host"] == "127.0.0.1" and fake.calls[0]["port"] == 8123
    assert opened == [("http://127.0.0.1:8123/",)]
    assert "glassnet playground on http://127.0.0.1:8123/" in capsys.readouterr().out
    # the app it serves answers that address only
    served = TestClient(fake.calls[0]["app"], base_url="http://127.0.0.1:8123")
    assert served.get("/api/limits").status_code == 200
    assert served.get("/api/limits", headers={"Host": "127.0.0.1:8000"}).status_code == 403


def test_command_refuses_a_remote_host_unless_allowed(monkeypatch, capsys):
    from glassnet.cli import main
    from glassnet.cli import playground as command

    fake = FakeServer()
    monkeypatch.setattr(command, "load_server", lambda: (fake, create_app))
    assert main(["playground", "--host", "0.0.0.0"]) == 2
    assert capsys.readouterr().err == (
        "glassnet playground: error: --host 0.0.0.0 is not a loopback address. The playground "
        "has no passwords; to serve it to other machines anyway, add --allow-remote.\n"
    )
    assert fake.calls == []
    assert main(["playground", "--host", "10.1.2.3", "--allow-remote"]) == 0
    assert "WARNING: serving on 10.1.2.3" in capsys.readouterr().err
    assert fake.calls[0]["host"] == "10.1.2.3"
    served = TestClient(fake.calls[0]["app"], base_url="http://10.1.2.3:8000")
    assert served.get("/api/limits").status_code == 200  # the --host given is its address
    with pytest.raises(SystemExit):
        main(["playground", "--port", "70000"])
    assert "expected a port from 1 to 65535, got 70000" in capsys.readouterr().err


def test_command_on_a_busy_port_says_so_in_one_line_and_exits_2():
    # before: "glassnet playground on http://127.0.0.1:P/" on stdout, then uvicorn's bind error
    # on stderr, exit status 3
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "glassnet", "playground", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 2, out
    assert out.stdout == ""
    assert out.stderr == (
        f"glassnet playground: error: port {port} on 127.0.0.1 is already in use. Stop what "
        f"holds it, or choose another port, e.g. --port {port + 1}.\n"
    )


ADVICE = (
    "Give an address to listen on, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every "
    "interface, with --allow-remote).\n"
)


def test_command_refuses_a_bad_host_name_before_the_warning(monkeypatch, capsys):
    # before: the WARNING, then "port N on <b>x cannot be used (Name or service not known).
    # Stop what holds it, or choose another port"
    from glassnet.cli import main
    from glassnet.cli import playground as command

    fake = FakeServer()
    monkeypatch.setattr(command, "load_server", lambda: (fake, create_app))
    assert main(["playground", "--host", "<b>x", "--allow-remote", "--port", "8123"]) == 2
    assert capsys.readouterr().err == (
        "glassnet playground: error: --host '<b>x' is not an IP address or a host name "
        "(letters, digits, hyphens and dots). " + ADVICE
    )

    def unknown(host, port):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(command.socket, "getaddrinfo", unknown)
    assert main(["playground", "--host", "nowhere.example", "--allow-remote"]) == 2
    assert capsys.readouterr().err == (
        "glassnet playground: error: --host nowhere.example: no address found for this name "
        "(Name or service not known). " + ADVICE
    )
    assert main(["playground", "--host", "x" * 5000, "--allow-remote"]) == 2
    assert len(capsys.readouterr().err) < 400
    assert fake.calls == []


def test_command_without_the_extra_names_it(monkeypatch):
    from glassnet.cli import playground as command

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if uvicorn were not installed
    with pytest.raises(ImportError, match=r"pip install 'glassnet\[playground\]'"):
        command.load_server()


# -- .glassnet files (glassnet.io) and L2 ---------------------------------------------------
def test_model_files_export_and_import(client, tmp_path):
    sid = create(client, XOR_241)["id"]
    trained = client.post(f"/api/sessions/{sid}/train", json={"steps": 40}).json()
    response = client.get(f"/api/sessions/{sid}/export.glassnet")
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="glassnet_xor_step40.glassnet"'
    )
    path = tmp_path / "xor.glassnet"
    path.write_bytes(response.content)
    np.testing.assert_array_equal(
        gn.load_model(path).get_weights()[0], np.array(trained["layers"][0]["kernel"])
    )
    other = create(client, {**XOR_241, "layers": [{"units": 2, "activation": "relu"}]})["id"]
    state = client.post(
        f"/api/sessions/{other}/import", content=response.content, headers=UPLOAD
    ).json()
    assert state["imported"] and state["step"] == 0
    assert state["config"]["layers"] == [{"units": 4, "activation": "tanh", "use_bias": True}]
    assert state["metrics"]["loss"] == trained["metrics"]["loss"]
    state = client.post(f"/api/sessions/{other}/train", json={"steps": 7}).json()
    assert (
        run_script(client.get(f"/api/sessions/{other}/export.py").text)["train_loss"]
        == state["metrics"]["loss"]
    )
    for content, message in [
        (b"", "The import is empty"),
        (b"not a model file at all", "Could not read that .glassnet file"),
    ]:
        bad = client.post(f"/api/sessions/{other}/import", content=content, headers=UPLOAD)
        assert bad.status_code == 400 and message in bad.json()["error"]


def test_l2_trains_and_exports(client):
    sid = create(client, {**XOR_241, "l2": 0.01})["id"]
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 9}).json()
    assert (
        run_script(client.get(f"/api/sessions/{sid}/export.py").text)["train_loss"]
        == state["metrics"]["loss"]
    )


def test_uploaded_csv_class_names_match_the_labels():
    # one reading of the upload: a row of blanks is skipped, and text classes keep their spaces,
    # so each class name is the value its label was numbered from
    from glassnet.playground.config import DatasetConfig
    from glassnet.playground.data import read_csv

    rows = [f"{i},{i % 3},{' b' if i % 2 else 'a'}" for i in range(12)]
    text = "p,q,fruit\n" + "\n".join(rows) + "\n  ,  ,  \n"
    x, labels, features, classes = read_csv(DatasetConfig(name="csv", csv=text))
    assert x.shape == (12, 2) and features == ["p", "q"]
    assert classes == [" b", "a"]  # sorted raw values: label 0 is " b", label 1 is "a"
    assert [classes[k] for k in labels] == [" b" if i % 2 else "a" for i in range(12)]


def test_a_csv_too_wide_is_refused_before_any_column_work(client):
    # before: 99,990 columns took 139 s (the duplicate-name check was quadratic)
    wide = "a," * 99_989 + "a\n1\n"  # 200 kB, 99,990 columns, all named "a"
    answer = client.post("/api/sessions", json={"dataset": {"name": "csv", "csv": wide}})
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "the uploaded CSV has 99990 columns; expected at most 17 (at most 16 features and "
        "the target). Keep the columns that matter."
    )


def test_repeated_column_names_are_still_named():
    from glassnet import csvfiles

    text = "a,b,a,c,b\n" + "1,2,3,4,5\n"
    with pytest.raises(ValueError, match=r"more than one column named 'a', 'b'; every column"):
        csvfiles.read_csv_text(text, "the upload")


def test_trace_example_0_is_row_0_of_the_training_set(client):
    # issue 15: examples are counted from 0 everywhere, as `glassnet explain --example 0` does
    config = {**XOR_241, "dataset": {"name": "moons", "n_samples": 20}}
    state = create(client, config)
    for example in (0, 1, 14):
        traced = client.post(f"/api/sessions/{state['id']}/trace", json={"example": example}).json()
        assert traced["example"] == example
        assert traced["x"] == state["data"]["x_train"][example]


def test_training_stops_at_the_time_bound_and_says_so(client, monkeypatch):
    sid = create(client, XOR_241)["id"]
    monkeypatch.setitem(LIMITS, "max_request_seconds", 0)  # every request is already too long
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 5000}).json()
    assert state["step"] == 1  # at least one step, then the bound
    assert state["stopped"] == (
        "Trained 1 of the 5000 steps asked for: a request may take at most 0 seconds. Ask "
        "again for the rest."
    )
    monkeypatch.setitem(LIMITS, "max_request_seconds", 20)
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 9}).json()
    assert state["step"] == 10 and "stopped" not in state


def test_the_exported_script_carries_no_text_from_the_upload(client):
    # a cousin of the page's injection: the script the user runs holds the CSV's numbers only,
    # never its column or class names, so a name cannot become code
    hostile = '"""\nimport os; os.system("echo pwned")  # '
    rows = "".join(f"{i % 5},{i % 3},{'a' if i % 2 else 'b'}\n" for i in range(20))
    csv_text = f'"{hostile.replace(chr(34), chr(34) * 2)}",x1,"{hostile[:3]}kind"\n' + rows
    sid = create(client, {**XOR_241, "dataset": {"name": "csv", "csv": csv_text}})["id"]
    script = client.get(f"/api/sessions/{sid}/export.py").text
    assert "os.system" not in script and "pwned" not in script
    assert run_script(script)["train_loss"] > 0
