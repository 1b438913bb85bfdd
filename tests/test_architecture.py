"""The house rules of DESIGN.md: the core imports NumPy and the standard library only, and never
a face (explain, plots, playground, cli); optional dependencies are imported lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "glassnet"
FACES = {"explain", "plots", "playground", "cli"}
CORE = sorted(
    path
    for path in PACKAGE.glob("*.py")
    if path.stem not in {"__main__"}  # runs the cli, by definition
)
#: imports the core makes inside a function, only when that function is called: the doors from
#: the core to an optional piece (each one a documented method or the progress bar)
LAZY_ALLOWED = {
    "progress.py": {"rich", "IPython"},  # ProgressBar, fit(verbose=1); in Jupyter its display
    "_model_faces.py": {"glassnet.trace", "glassnet.explain", "glassnet.export", "glassnet.io"},
    "export.py": {"torch", "onnx", "onnxruntime"},
    "parity.py": {"torch", "keras"},
    "datasets.py": {"sklearn"},
}


def _imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module, at module level?) for every import in ``tree``."""
    found = []
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, id(node) in top))
    return found


def _allowed_at_top(module: str) -> bool:
    root = module.split(".")[0]
    if root in sys.stdlib_module_names or root == "numpy":
        return True
    parts = module.split(".")
    return root == "glassnet" and (len(parts) == 1 or parts[1] not in FACES)


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_module_imports_only_numpy_stdlib_and_core(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for module, top_level in _imports(tree):
        if _allowed_at_top(module):
            continue
        allowed = LAZY_ALLOWED.get(path.name, set())
        assert not top_level, f"{path.name} imports {module} at module level"
        assert any(module == a or module.startswith(a + ".") for a in allowed), (
            f"{path.name} imports {module} inside a function; allowed there: {sorted(allowed)}"
        )


def test_training_loads_no_face_and_no_optional_dependency(tmp_path):
    program = f"""
import sys
import numpy as np
import glassnet as gn
x, y = gn.datasets.moons(100, seed=0)
model = gn.Sequential([gn.layers.Dense(4, "tanh"), gn.layers.Dense(1, "sigmoid")], seed=0)
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=2, verbose=2)
model.save({str(tmp_path / "m.glassnet")!r})
gn.load_model({str(tmp_path / "m.glassnet")!r}).predict(x)
gn.check_gradients(model, x[:4], y[:4])
loaded = sorted(
    name for name in sys.modules
    if name.split(".")[0] in ("matplotlib", "starlette", "uvicorn", "rich", "torch", "keras",
                              "sklearn", "onnx")
    or name.split(".")[:2] in (["glassnet", f] for f in ("explain", "plots", "playground", "cli"))
)
print("LOADED", loaded)
"""
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert "LOADED []" in result.stdout, result.stdout
