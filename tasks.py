"""The project's two entry points, needing nothing but python3.

    python3 tasks.py demo [ARGS...]   set up .venv and run `swarmscope demo ARGS...`
    python3 tasks.py test [ARGS...]   set up .venv, lint, type-check, and run the whole test suite
                                      (the JavaScript packages in js/ too: npm ci, build, lint, test)

Setup is idempotent: the virtual environment is created once and the packages reinstalled
only when what the build reads changed (pyproject.toml, setup.py, the compiled modules, the
example's pyproject.toml). Both tasks install the example app in examples/account_manager
beside swarmscope: it is what `swarmscope demo` runs, and its tests are part of the suite.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
EXAMPLE = ROOT / "examples" / "account_manager"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*command: str | Path, cwd: Path = ROOT) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    arguments = [str(part) for part in command]
    process = subprocess.Popen(arguments, cwd=cwd)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        stop(process)
        raise
    if code:
        raise subprocess.CalledProcessError(code, arguments)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Let an interrupted command stop what it started before this script exits.

    Ctrl-C in a terminal reaches the command too; one sent to this script alone does not, so
    it is passed on (a command that had it already takes the second as "stop now", as the
    demo does). Killing it instead, as ``subprocess.run`` does, would leave its own children
    (the demo's server and services) running, holding their ports.
    """
    try:
        if os.name != "nt":
            process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    except (KeyboardInterrupt, subprocess.TimeoutExpired):
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def setup(extras: str) -> None:
    if not (BIN / "python").exists():
        run(sys.executable, "-m", "venv", VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    # The compiled modules' sources too: an editable install does not rebuild them, and a
    # stale compiled module is imported in place of its edited source.
    compiled = re.findall(r'"(src/[^"]+\.pyx?)"', (ROOT / "setup.py").read_text())
    built_from = [
        ROOT / "pyproject.toml",
        ROOT / "setup.py",
        EXAMPLE / "pyproject.toml",
        *(ROOT / path for path in compiled),
    ]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in built_from)).hexdigest()
    if installed(extras, digest):
        return
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    run(
        BIN / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--editable",
        target,
        "--editable",
        EXAMPLE,
    )
    stamp.write_text(digest)


def installed(extras: str, digest: str) -> bool:
    """Whether these extras, or more, were installed from the same sources (the test
    command installs the demo's too, so the demo after it starts at once)."""
    wanted = set(filter(None, extras.split(",")))
    for stamp in VENV.glob(".installed-*"):
        had = set(stamp.name.removeprefix(".installed-").split(",")) - {"base"}
        if wanted <= had and stamp.read_text() == digest:
            return True
    return False


# Real components the tests run, from Debian's packages: binary -> package. The console's
# browser tests drive Debian's Chromium at its own path (Playwright cannot download one here).
# The tests also check the compiled span reader was built, which takes a C compiler.
SYSTEM_PACKAGES = {
    "promtool": "prometheus",
    "amtool": "prometheus-alertmanager",
    "/usr/bin/chromium": "chromium",
    "gcc": "gcc",
    # The JavaScript packages (js/*) and the test comparing the Node package with the SDK.
    "node": "nodejs",
    "npm": "npm",
}


def system_packages() -> None:
    missing = {pkg for binary, pkg in SYSTEM_PACKAGES.items() if shutil.which(binary) is None}
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        missing.add("python3-dev")  # the interpreter's headers, for the compiled modules
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(
            f"tests need the Debian packages {', '.join(sorted(missing))}: install them (as root)",
            file=sys.stderr,
        )
        return
    os.environ["DEBIAN_FRONTEND"] = "noninteractive"
    run("apt-get", "update", "-qq")
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *sorted(missing))


def node_packages() -> None:
    """Each JavaScript package in js/: its locked dependencies, type-checked build, lint, tests.

    ``npm ci`` installs exactly the committed lockfile; the flags keep npm's output to what
    went wrong, with or without a terminal.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("the JavaScript packages need Node.js and npm: install them (as root)")
    quiet = ("--no-audit", "--no-fund", "--loglevel=error")
    for manifest in sorted(ROOT.glob("js/*/package.json")):
        folder = manifest.parent
        run(npm, "ci", *quiet, cwd=folder)
        for script in ("build", "lint", "test"):
            run(npm, "run", script, "--silent", cwd=folder)


def demo(args: list[str]) -> None:
    setup("all")  # the SDK alone is `pip install swarmscope`; the demo runs every part
    run(BIN / "swarmscope", "demo", *args)


def test(args: list[str]) -> None:
    system_packages()  # first: the install compiles with them
    setup("all,test")
    linted = ("src", "tests", "examples", "benchmarks", "tasks.py", "setup.py")
    run(BIN / "ruff", "check", *linted)
    run(BIN / "ruff", "format", "--check", *linted)
    run(BIN / "mypy")  # src/swarmscope, as [tool.mypy] in pyproject.toml says
    node_packages()
    run(BIN / "python", "-m", "pytest", *(args or ["-q"]))


def main() -> int:
    tasks = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in tasks:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        tasks[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as error:
        return error.returncode or 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
