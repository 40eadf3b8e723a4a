"""The README's command-line examples run as written, and print what the README shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"


def examples() -> list[tuple[str, list[str]]]:
    """(command, the output lines shown under it) of the README's "One example of each"."""
    text = README.read_text(encoding="utf-8")
    block = text[text.index("One example of each"):]
    block = block[block.index("```console\n") + 11:]
    block = block[:block.index("```")]
    found: list[tuple[str, list[str]]] = []
    command = ""
    for line in block.splitlines():
        if command.endswith("\\"):
            command = command[:-1] + " " + line.strip()
        elif line.startswith("$ "):
            command = line[2:]
            found.append(("", []))
        else:
            found[-1][1].append(line)
            continue
        found[-1] = (command, found[-1][1])
    return found


@pytest.mark.skipif(shutil.which("bash") is None, reason="the examples are shell commands")
def test_the_readme_examples_run_as_written(tmp_path: Path) -> None:
    steps = examples()
    assert len(steps) >= 15 and steps[0][0].startswith("mesotui demo demo.json")
    script = ["set -e"] + [f"{{ {command}\n}} > out.{n} 2> err.{n}"
                           for n, (command, _shown) in enumerate(steps)]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("MESOTUI_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path)
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    failed = next((n for n in range(len(steps)) if not (tmp_path / f"out.{n}").exists()), None)
    assert done.returncode == 0, (steps[(failed or len(steps)) - 1][0],
                                  (tmp_path / f"err.{(failed or len(steps)) - 1}").read_text())
    for n, (command, shown) in enumerate(steps):
        printed = (tmp_path / f"out.{n}").read_text(encoding="utf-8").splitlines()
        assert printed[:len(shown)] == shown, command
        if re.match(r"mesotui (due|lot|report)", command):
            assert all(len(line) <= 80 for line in printed), command
