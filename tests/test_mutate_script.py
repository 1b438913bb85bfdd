"""scripts/mutate (`make mutate`): its table of modules and tests, and the config it writes.

The mutation run itself takes minutes per module and is not part of `make test`; these check
that the table cannot rot (every file it names exists) and covers the core the issue names.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_loader = SourceFileLoader("mutate", str(ROOT / "scripts" / "mutate"))
mutate = module_from_spec(spec_from_loader("mutate", _loader))
_loader.exec_module(mutate)


def test_every_file_the_table_names_exists() -> None:
    for module, (files, tests, _) in mutate.MODULES.items():
        for path in [*files, *tests]:
            assert (ROOT / path).is_file(), f"{module}: {path}"


def test_the_core_modules_are_in_the_table() -> None:
    mutated = {path for files, _, _ in mutate.MODULES.values() for path in files}
    for name in ("activations", "regularizers", "metrics", "model", "io"):
        assert f"src/glassnet/{name}.py" in mutated
    for package in ("losses", "optimizers"):  # every module of the package
        found = {p.as_posix() for p in (ROOT / "src/glassnet" / package).glob("*.py")}
        assert {str(ROOT / p) for p in mutated if f"/{package}/" in p} == found
    layers = {p.as_posix() for p in (ROOT / "src/glassnet/layers").glob("*.py")}
    assert {str(ROOT / p) for p in mutated if "/layers/" in p} == layers - {
        str(ROOT / "src/glassnet/layers/__init__.py")
    }


def test_no_slow_tests_are_used() -> None:
    # no browser, no load test, no notebook, no 100-step training parity, no CLI subprocesses
    slow = ("browser", "load", "notebook", "torch_parity", "keras_parity", "examples", "cli")
    for _, tests, _ in mutate.MODULES.values():
        assert not [t for t in tests if any(word in t for word in slow)]


def test_the_generated_config_mutates_one_module_with_its_tests() -> None:
    text = mutate.pyproject_for(["src/glassnet/losses.py"], ["tests/test_losses.py"])
    section = text.split("[tool.mutmut]\n")[1]
    assert 'only_mutate = ["src/glassnet/losses.py"]' in section
    assert 'pytest_add_cli_args_test_selection = ["tests/test_losses.py"]' in section
    assert "timeout_multiplier = 3.0" in section
    assert "timeout_constant = 30.0" in section  # a wall-clock limit: room for a busy machine
    # workers forked from a fork server, not from the process that has run torch (a deadlock)
    assert 'process_isolation = "forkserver"' in section
    assert 'addopts = "-q -p no:cacheprovider"' in text and "--doctest-modules" not in text
    assert 'name = "glassnet"' in text  # the rest of pyproject.toml is kept


def test_list_and_an_unknown_module() -> None:
    script = str(ROOT / "scripts" / "mutate")
    listed = subprocess.run([sys.executable, script, "--list"], capture_output=True, text=True)
    assert listed.returncode == 0
    assert (
        "losses: src/glassnet/losses/__init__.py src/glassnet/losses/base.py src/glassnet/losses/regression.py <- tests/test_loss_rules.py"
        in listed.stdout
    )
    wrong = subprocess.run([sys.executable, script, "lossses"], capture_output=True, text=True)
    assert wrong.returncode == 2
    assert "unknown module(s) lossses; expected some of losses, optimizers" in wrong.stderr


def test_a_module_with_patterns_counts_only_the_mutants_they_name() -> None:
    # model's run mutates only the step; the rest of model.py is "not checked", not a survivor
    _, _, patterns = mutate.MODULES["model"]
    assert mutate.selected("glassnet.model.xǁSequentialǁbackward__mutmut_7", patterns)
    assert mutate.selected("glassnet.model.xǁSequentialǁtrain_on_batch__mutmut_2", patterns)
    assert not mutate.selected("glassnet.model.xǁSequentialǁsummary_text__mutmut_1", patterns)
    assert mutate.selected("glassnet.io.x_save_model__mutmut_1", None)
