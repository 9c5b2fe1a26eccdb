"""Each service's Dockerfile, rehearsed without Docker (this machine has no engine).

The build stage's COPY and RUN steps run in a scratch directory standing for the image's `/`
(the build context filtered by .dockerignore; the `--mount` cache flags dropped; the local uv
and Python 3.11 instead of the images'). The final stage keeps only
what its `COPY --from=build` lines take, and the service starts from that alone, outside the
repository, with the final stage's ENV and CMD; then the image's own HEALTHCHECK command must
pass. It catches a file the image forgets, a dev-only dependency, data left out of a wheel, a
path into the repository. Not covered: the base images, `useradd`/`USER`, the layer cache.
"""

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.support.processes import LOGS, REPO, free_port

pytestmark = pytest.mark.e2e


def dockerignore() -> list[str]:
    """.dockerignore's patterns (no `!` exceptions there; checked)."""
    lines = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "teach ignored() about exceptions"
    return patterns


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether the build context leaves out this path (relative to the repository)."""
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(part, pattern[3:]) for part in relative.split("/")):
                return True
        elif fnmatch.fnmatch(relative, pattern) or relative.startswith(pattern.rstrip("/") + "/"):
            return True
    return False


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages(steps: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """Steps by stage name; the last stage (the image) is called 'final'."""
    named: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for word, rest in steps:
        if word == "FROM":
            parts = rest.split()
            current = named.setdefault(parts[2] if len(parts) == 3 else "final", [])
        else:
            current.append((word, rest))
    return named


def env_pairs(rest: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(rest))


def inside(root: Path, path: str, workdir: str) -> Path:
    """An image path (absolute, or relative to WORKDIR) under the scratch root."""
    return root / (path if path.startswith("/") else f"{workdir}/{path}").lstrip("/")


def copy(source: Path, target: Path, context: list[str] | None = None) -> None:
    """cp -r; from the build context (`context`: .dockerignore's patterns) what it holds only."""
    if context is not None:
        relative = source.relative_to(REPO).as_posix()
        assert not ignored(relative, context), f"COPY {relative}: not in the build context"

        def leave_out(folder: str, names: list[str]) -> set[str]:
            base = Path(folder).relative_to(REPO).as_posix()
            return {n for n in names if ignored(f"{base}/{n}".lstrip("./"), context)}

        if source.is_dir():
            shutil.copytree(source, target, ignore=leave_out, dirs_exist_ok=True)
            return
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def build(steps: list[tuple[str, str]], root: Path) -> None:
    env = {**os.environ}
    env.pop("VIRTUAL_ENV", None)
    workdir, context = "/", dockerignore()
    for word, rest in steps:
        if word == "ENV":
            env.update(env_pairs(rest))
            env["UV_PYTHON"] = sys._base_executable  # the image's python3.11 is not here
        elif word == "WORKDIR":
            workdir = rest
            inside(root, rest, "/").mkdir(parents=True, exist_ok=True)
        elif word == "COPY" and not rest.startswith("--from"):
            *sources, dest = rest.split()
            for source in sources:
                target = inside(root, dest, workdir)
                if dest.endswith("/"):
                    target = target / Path(source).name
                copy(REPO / source, target, context)
        elif word == "RUN":
            command = re.sub(r"--mount=\S+\s*", "", rest)
            done = subprocess.run(
                command, shell=True, cwd=inside(root, workdir, "/"), env=env,
                capture_output=True, text=True,
            )  # fmt: skip
            assert done.returncode == 0, f"RUN {command}\n{done.stdout}\n{done.stderr}"


def exec_form(rest: str) -> list[str]:
    words: list[str] = json.loads(rest)
    return words


@pytest.fixture
async def topics(new_topic: Callable[..., Awaitable[str]]) -> tuple[str, str]:
    """The test's own topics, never the shared ones."""
    return await new_topic("queue.events"), await new_topic("queue.events.dlq", 1)


@pytest.mark.parametrize("service", ["ticketing", "display", "notifier", "survey"])
def test_the_image_built_by_its_dockerfile_runs_the_service_and_passes_its_healthcheck(
    service: str, tmp_path: Path, site_id: str, topics: tuple[str, str]
) -> None:
    topic, dlq = topics
    steps = stages(instructions(REPO / "services" / service / "Dockerfile"))
    build_root, image = tmp_path / "build", tmp_path / "image"
    build(steps["build"], build_root)

    env: dict[str, str] = {}
    workdir, cmd, healthcheck = "/", [""], [""]
    for word, rest in steps["final"]:
        if word == "WORKDIR":
            workdir = rest
            inside(image, rest, "/").mkdir(parents=True, exist_ok=True)
        elif word == "COPY":
            assert rest.startswith("--from=build "), rest
            source, dest = rest.split()[1:]
            copy(inside(build_root, source, "/"), inside(image, dest, workdir))
        elif word == "ENV":
            env.update(env_pairs(rest))
        elif word == "HEALTHCHECK":
            healthcheck = exec_form(rest[rest.index("CMD") + 3 :])
        elif word == "CMD":
            cmd = exec_form(rest)
    # The image's paths live under the scratch root; $PATH is the machine's, for the rest.
    env = {k: re.sub(r"(^|:)/app", rf"\g<1>{image}/app", v) for k, v in env.items()}
    env["PATH"] = env["PATH"].replace("$PATH", os.environ["PATH"])
    prefix = service.upper()
    port = free_port()
    env |= {
        f"{prefix}_HOST": "127.0.0.1",  # the image listens on 0.0.0.0; tests stay on loopback
        f"{prefix}_PORT": str(port),
        f"{prefix}_SITE_ID": site_id,
        f"{prefix}_GROUP_ID": f"{service}-{site_id}",
        f"{prefix}_TOPIC": topic,
        "DISPLAY_DLQ_TOPIC": dlq,
        "NOTIFIER_DEAD_LETTER_TOPIC": dlq,
        "NOTIFIER_PROVIDER": "log",
        "HOME": str(tmp_path),
    }
    env = {"LANG": "C.UTF-8", **env}
    healthcheck = [re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", w) for w in healthcheck]
    assert f"127.0.0.1:{port}/" in " ".join(healthcheck), healthcheck
    python = shutil.which(cmd[0], path=env["PATH"])
    assert python and python.startswith(str(image)), f"{cmd[0]} is not the image's: {python}"

    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"image-{service}.log", "wb") as log:
        proc = subprocess.Popen([python, *cmd[1:]], cwd="/", env=env, stdout=log, stderr=log)
    try:
        deadline, passed = time.monotonic() + 30, False
        while not passed and time.monotonic() < deadline:
            assert proc.poll() is None, f"{service} exited; see {LOGS / f'image-{service}.log'}"
            check = subprocess.run([python, *healthcheck[1:]], env=env, capture_output=True)
            passed = check.returncode == 0
            time.sleep(0.2)
        assert passed, f"the HEALTHCHECK of {service} never passed: {check.stderr.decode()[-500:]}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    # Nothing of the repository was used: the service ran from the image's packages.
    site = next((image / "app" / ".venv" / "lib").glob("python3*/site-packages"))
    assert (site / service / "__init__.py").is_file(), "not installed as a package (editable?)"
