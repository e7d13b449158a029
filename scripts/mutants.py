"""`make mutants`: mutation testing of the rule and permission modules with cosmic-ray.

Each module is mutated in place (cosmic-ray's local distributor), one mutant at a time, and each mutant runs only the
tests that cover that module, stopping at the first failure. Sessions live in var/mutants/, so an interrupted run
goes on where it stopped; `--fresh` starts a module again.

    python scripts/mutants.py                         # every module, in priority order
    python scripts/mutants.py cases/transitions.py    # one module
    python scripts/mutants.py --survivors             # only the survivors again, once tests were added
    python scripts/mutants.py --summary               # the figures of the sessions run so far
"""

import argparse
import json
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SESSIONS = BASE_DIR / "var" / "mutants"
BIN = Path(sys.executable).parent

TRAVEL_TESTS = ["tests/test_travel_rules_mutants.py"]
RECEPTION_TESTS = ["tests/test_reception_rules_mutants.py"]
MUTANT_TESTS = ["tests/test_rules_mutants.py", *TRAVEL_TESTS, *RECEPTION_TESTS]
RULE_TESTS = ["tests/test_rules_mutants.py", "tests/test_safeguards.py"]
PERMISSION_TESTS = ["tests/test_case_visibility.py"]
# `--fast`: the tests written against mutants and the two adversarial matrices only (minutes, not hours, a module).
FAST_TESTS = set(MUTANT_TESTS + RULE_TESTS + PERMISSION_TESTS)
# Priority order (a partial run covers the first ones); each module with the tests that cover it, fastest first.
MODULES = {
    "cases/transitions.py": RULE_TESTS + TRAVEL_TESTS + RECEPTION_TESTS + [
        "tests/test_case_lifecycle.py", "tests/test_screening_and_approval.py", "tests/test_travel.py",
        "tests/test_reception.py"],
    "cases/safeguards.py": RULE_TESTS + ["tests/test_case_lifecycle.py", "tests/test_duplicate_detection.py"],
    "screening/rules.py": RULE_TESTS + ["tests/test_screening_and_approval.py", "tests/test_case_lifecycle.py"],
    "travel/rules.py": TRAVEL_TESTS + RULE_TESTS + ["tests/test_travel.py"],
    "reception/rules.py": RECEPTION_TESTS + RULE_TESTS + ["tests/test_reception.py"],
    "cases/people.py": RULE_TESTS + ["tests/test_manifest.py", "tests/test_reports.py"],
    "cases/permissions.py": PERMISSION_TESTS + ["tests/test_reception.py", "tests/test_travel.py"],
    "travel/permissions.py": PERMISSION_TESTS + ["tests/test_travel.py", "tests/test_travel_pages.py"],
    "sync/merge.py": ["tests/test_sync_merge_properties.py", "tests/test_sync_api.py"],
}
# Mutations a rule module can express: comparisons, boolean logic, negations, constants, loops that run no more,
# registrations removed, set algebra on role and field groups. Arithmetic operators swapped for others a rule never
# uses (`**`, `<<`, `%` ...) on sets or dates only raise TypeError; they are left out to keep the run short.
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_.*_(Mul|Div|FloorDiv|Mod|Pow|RShift|LShift|BitXor)$",
    r"core/ReplaceBinaryOperator_(Mul|Div|FloorDiv|Mod|Pow|RShift|LShift|BitXor)_",
    r"core/ExceptionReplacer",
    r"core/VariableReplacer",
    r"core/VariableInserter",
    r"core/ReplaceUnaryOperator_(UAdd|USub|Invert)",
]
TIMEOUT_SECONDS = 600


def test_command(module: str, *, fast: bool = False, survivors: bool = False) -> str:
    # A survivor already passed every other test (they are deterministic): only the tests written since can kill it.
    chosen = MUTANT_TESTS if survivors else FAST_TESTS if fast else MODULES[module]
    tests = [t for t in MODULES[module] if t in chosen and (BASE_DIR / t).exists()]
    return shlex.join([str(BIN / "python"), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--reuse-db",
                       "-o", "addopts=", "-m", "not browser", *tests])


def config_for(module: str, *, fast: bool = False, survivors: bool = False) -> Path:
    path = SESSIONS / f"{module.replace('/', '.').removesuffix('.py')}.toml"
    excluded = ", ".join(json.dumps(op) for op in EXCLUDED_OPERATORS)
    path.write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(module)}\n"
        f"timeout = {TIMEOUT_SECONDS}.0\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(test_command(module, fast=fast, survivors=survivors))}\n\n"
        "[cosmic-ray.distributor]\nname = \"local\"\n\n"
        f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n"
    )
    return path


def run(*args) -> None:
    subprocess.run([str(a) for a in args], cwd=BASE_DIR, check=True)


def pristine(module: str) -> bool:
    """The local distributor edits the file in place: never start (or end) on a file that differs from git."""
    return subprocess.run(["git", "diff", "--quiet", "--", module], cwd=BASE_DIR).returncode == 0


def survivors_pending(session: Path) -> None:
    """Adding tests can only kill more: the survivors are run again, every other result stands."""
    with sqlite3.connect(session) as db:
        pending = db.execute("SELECT count(*) FROM work_items WHERE job_id NOT IN "
                             "(SELECT job_id FROM work_results)").fetchone()[0]
        if pending:
            sys.exit(f"{session.name}: {pending} mutants never ran; finish the run before --survivors.")
        db.execute("DELETE FROM work_results WHERE lower(test_outcome) = 'survived'")


def mutate(module: str, *, fresh: bool, survivors: bool = False, fast: bool = False) -> None:
    if not pristine(module):
        sys.exit(f"{module} has uncommitted changes (a mutant left behind?): `git diff {module}` first.")
    config = config_for(module, fast=fast, survivors=survivors)
    session = config.with_suffix(".sqlite")
    if fresh or not session.exists():
        session.unlink(missing_ok=True)
        run(BIN / "cosmic-ray", "init", config, session)
        run(BIN / "cr-filter-operators", session, config)
        run(BIN / "cr-filter-pragma", session)
    elif survivors:
        survivors_pending(session)
    # A stale bytecode file of the original could hide a mutant written within the same second.
    shutil.rmtree(BASE_DIR / Path(module).parent / "__pycache__", ignore_errors=True)
    try:
        run(BIN / "cosmic-ray", "exec", config, session)
    finally:
        if not pristine(module):
            print(f"!! {module} was left mutated: restoring it from git", file=sys.stderr)
            run("git", "checkout", "--", module)


def outcomes(session: Path) -> tuple[Counter, list[str]]:
    dump = subprocess.run([str(BIN / "cosmic-ray"), "dump", str(session)], cwd=BASE_DIR, check=True,
                          capture_output=True, text=True).stdout
    counts, survivors = Counter(), []
    for line in dump.splitlines():
        item, result = json.loads(line)
        if result is None:
            counts["pending"] += 1
        elif result["worker_outcome"] == "skipped":
            counts["filtered"] += 1
        elif result["output"] == "timeout":
            counts["timeout"] += 1
        elif result["worker_outcome"] != "normal" or result["test_outcome"] == "incompetent":
            counts["incompetent"] += 1
        else:
            counts[result["test_outcome"]] += 1
            if result["test_outcome"] == "survived":
                mutation = item["mutations"][0]
                survivors.append(f"{mutation['module_path']}:{mutation['start_pos'][0]} "
                                 f"{mutation['operator_name']} #{mutation['occurrence']}")
    return counts, survivors


def summary(modules: list[str]) -> None:
    columns = ("mutants", "killed", "survived", "timeout", "incompetent", "pending")
    print(f"{'module':28}" + "".join(f"{c:>12}" for c in columns))
    total, all_survivors = Counter(), []
    for module in modules:
        session = SESSIONS / f"{module.replace('/', '.').removesuffix('.py')}.sqlite"
        if not session.exists():
            continue
        counts, survivors = outcomes(session)
        counts["mutants"] = sum(v for k, v in counts.items() if k != "filtered")
        total.update(counts)
        all_survivors += survivors
        print(f"{module:28}" + "".join(f"{counts[c]:>12}" for c in columns))
    print(f"{'total':28}" + "".join(f"{total[c]:>12}" for c in columns))
    if all_survivors:
        print("\nsurvivors (`cosmic-ray dump var/mutants/<module>.sqlite` shows each diff):")
        print("\n".join(f"  {s}" for s in all_survivors))


def stop(signum, frame):
    raise KeyboardInterrupt  # so that `mutate` puts the module back before leaving


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, stop)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: all, in priority order)")
    parser.add_argument("--fresh", action="store_true", help="start the modules' sessions again")
    parser.add_argument("--survivors", action="store_true",
                        help="run the survivors again against the tests written against mutants")
    parser.add_argument("--fast", action="store_true", help="each mutant against the mutation tests and the "
                        "adversarial matrices only")
    parser.add_argument("--summary", action="store_true", help="only print the figures of the sessions so far")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"not a rule module: {', '.join(unknown)} (choose from {', '.join(MODULES)})")
    modules = args.modules or list(MODULES)
    SESSIONS.mkdir(parents=True, exist_ok=True)
    if not args.summary:
        subprocess.run([str(BIN / "python"), "manage.py", "buildmessages"], cwd=BASE_DIR, check=True)
        for module in modules:
            mutate(module, fresh=args.fresh, survivors=args.survivors, fast=args.fast)
    summary(modules)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
