"""The steps a generated pipeline runs on its system (`reconciler ci run|comment|pull-request`).

The same steps on GitHub, Azure DevOps and GitLab; only the system's client differs (`forges.py`):
- a command run as a pipeline step (`run`): what it printed and its exit code kept in the job's temporary
  folder for the steps after it, "changes present" (2) not a failure, and with the sandbox target (which a
  fresh agent starts empty) every calendar command skipped with a notice (GitHub's composite action is
  this step too);
- the plan comment: one comment on the pull (merge) request, found by its marker and rewritten by each run,
  saying the plan, or that the plan failed (the end of what it said), or that the files have problems;
- the drift pull request: what `reconciler pull` wrote, committed to one branch force-pushed from the
  default branch, and one pull request from it, opened or updated, the plan in its description.
Each text is cut to the system's limit with a note saying where the rest is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.forges import Forge, ForgeError

MARKER = "<!-- reconciler-plan -->"
BRANCH = "reconciler/calendar-edits"
TITLE = "Calendar edits since the last apply"
FAILED_LINES = 60
SKIPPED = "skipped"
ON_CALENDARS = ("plan", "apply", "responses", "show", "unlock", "pull")
"""Commands that read or write calendars: skipped with the sandbox target."""
NOTICE = {
    "github": "::notice title=reconciler {command} skipped::{text}",
    "azure-devops": "##vso[task.logissue type=warning]reconciler {command} skipped: {text}",
    "gitlab": "\033[33mreconciler {command} skipped\033[0m: {text}",
}
OUTPUT = {"azure-devops": "##vso[task.setvariable variable={name};isOutput=true]{value}"}
"""How a step hands a value to later jobs on Azure DevOps (GitHub's step outputs go to the file its
GITHUB_OUTPUT names; GitLab's later lines of the same script read the files)."""


def step_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where a job's steps keep what each command printed: the agent's temporary folder."""
    env = os.environ if env is None else env
    for name in ("RECONCILER_CI_DIR", "AGENT_TEMPDIRECTORY", "RUNNER_TEMP"):
        if env.get(name):
            return Path(env[name])
    return Path(tempfile.gettempdir()) / "reconciler-ci"


def run(system: str, command: str, args: Sequence[str], config: str, folder: Path) -> int:
    """Run `reconciler COMMAND --config CONFIG ARGS` as a step: print what it prints, keep it in `folder`
    (COMMAND.out, .err, .exitcode), and exit 0 for 0 and 2 (changes present), else its code."""
    from reconciler import run as runs

    folder.mkdir(parents=True, exist_ok=True)
    out, err, code_file = (kept(folder, command, k) for k in ("out", "err", "exitcode"))
    for path in (out, err):
        path.write_text("")
    if system == "github":  # the composite action hands the files to the steps after it
        _output(system, "output", str(out))
        _output(system, "errors", str(err))
    if command in ON_CALENDARS:
        try:
            kind = runs.settings_for(Path(config)).target.kind
        except runs.RunError as exc:
            print(exc, file=sys.stderr)
            kind = ""
        if kind == "sandbox":
            text = (
                f"{config} targets the embedded sandbox, which starts empty on every agent, so there is "
                f"nothing to {command} here. Set target: to your Exchange (kind: ews or graph) and add its "
                "identities; see the README's first-month guide."
            )
            print(NOTICE.get(system, "{text}").format(command=command, text=text))
            code_file.write_text(SKIPPED)
            _output(system, "exitcode", SKIPPED)
            return 0
    with out.open("w") as stdout, err.open("w") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", command, "--config", config, *args],
            stdout=stdout,
            stderr=stderr,
        )
    sys.stdout.write(out.read_text(errors="replace"))
    sys.stderr.write(err.read_text(errors="replace"))
    code_file.write_text(str(done.returncode))
    _output(system, "exitcode", str(done.returncode))
    return 0 if done.returncode in (0, 2) else done.returncode


def _output(system: str, name: str, value: str) -> None:
    if system in OUTPUT:
        print(OUTPUT[system].format(name=name, value=value))
    elif system == "github" and os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as outputs:
            outputs.write(f"{name}={value}\n")


def kept(folder: Path, command: str, kind: str) -> Path:
    """What `run` kept of COMMAND: its `out`, `err` or `exitcode` file."""
    return folder / f"{command}.{kind}"


def chosen(given: str | None, command: str, kind: str) -> Path | None:
    """The file a step was given (None when the pipeline variable it came from was empty: that step never
    ran), or, given none, what `run` kept of COMMAND in this job."""
    if given is None:
        return kept(step_dir(), command, kind)
    return Path(given) if given.strip() else None


def fitted(text: str, limit: int, where: str) -> str:
    """`text`, or as much of it as fits in `limit` characters with a note saying where the rest is."""
    if len(text) <= limit:
        return text
    note = f"\n\n… cut to fit; {where} has all of it.\n"
    return text[: max(0, limit - len(note))] + note


def plan_comment(exitcode: str, plan: str, errors: str, run_url: str, limit: int) -> str:
    """The comment for a plan step that exited with `exitcode` ("" or no number: it never ran)."""
    run = f"[the run]({run_url})" if run_url else "the run"
    if exitcode in ("0", "2"):
        text = fitted(plan, limit - len(MARKER) - 1, f"{run} (its summary and artifact)")
    elif exitcode.isdigit():
        said = "\n".join(errors.splitlines()[-FAILED_LINES:])[-20_000:].replace("```", "'''")
        text = (
            "### The plan failed\n\nNothing below this line is current. What the reconciler said:\n\n"
            f"```\n{said}\n```\n\n{run[0].upper() + run[1:]}\n"
        )
    else:
        text = (
            "### No plan: the meeting files have problems\n\nThey are listed by the validate step of "
            f"{run}; fix them and push again.\n"
        )
    return f"{MARKER}\n{text}"


def _read(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ForgeError(f"cannot read {path}: {exc.strerror or exc}") from None


def post_plan(forge: Forge, exitcode: str | None, plan_file: Path | None, errors_file: Path | None) -> str:
    """Create or rewrite the plan comment; what was done, in a line. `exitcode` None: what `run` kept."""
    if exitcode is None:
        exitcode = _read(chosen(None, "plan", "exitcode"))
    if exitcode.strip() == SKIPPED:
        return "the plan was skipped (the sandbox target): no comment"
    body = plan_comment(
        exitcode.strip(), _read(plan_file), _read(errors_file), forge.run_url(), forge.comment_limit
    )
    done, url = forge.comment(MARKER, body)
    return f"plan comment {done}" + (f": {url}" if url else "")


def pull_request_body(pulled: str, plan: str, limit: int) -> str:
    head = (
        "Edits made in the calendars since the last apply, written into the meeting files by "
        "`reconciler pull`. Merge to keep them; close to have the next apply restore the files.\n\n"
        f"```\n{pulled.strip()}\n```\n"
    )
    head = fitted(head, limit // 2, "the drift run's log")
    opening = "\n<details><summary>What the next apply would otherwise restore</summary>\n\n```\n"
    closing = "\n```\n</details>\n"
    room = limit - len(head) - len(opening) - len(closing)
    return head + opening + fitted(plan.strip(), max(room, 0), "the drift run's log") + closing


def _git(root: Path, *args: str, header: str = "") -> str:
    """`git ARGS` in `root`; `header`: an HTTP header for the push, given in the environment (never on the
    command line, where other processes could read it)."""
    env = None
    if header:
        secret = {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.extraheader",
            "GIT_CONFIG_VALUE_0": header,
        }
        env = {**os.environ, **secret}
    what = next(a for a in args if not a.startswith("-") and "=" not in a)
    try:
        done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ForgeError(f"git {what}: {type(exc).__name__}: is git installed?") from None
    if done.returncode != 0:
        raise ForgeError(f"git {what} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def propose_edits(
    forge: Forge, root: Path, meetings: str, base: str, pulled_file: Path, plan_file: Path | None
) -> str:
    """Commit what `pull` wrote under `meetings` to BRANCH, push it, open or update the pull request."""
    if not _git(root, "status", "--porcelain", "--", meetings).strip():
        return "the files already say what the calendars hold: no pull request"
    remote = forge.remote()
    _git(root, "switch", "--quiet", "-C", BRANCH)
    _git(root, "add", "-A", "--", meetings)
    name, email = forge.committer
    _git(root, "-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "--quiet", "-m", TITLE)
    _git(root, "push", "--quiet", "--force", remote.url, f"HEAD:refs/heads/{BRANCH}", header=remote.header)
    body = pull_request_body(_read(pulled_file), _read(plan_file), forge.description_limit)
    done, url = forge.open_or_update(BRANCH, base, TITLE, body)
    return f"pull request {done}" + (f": {url}" if url else "")
