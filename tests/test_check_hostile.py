"""`check` on hostile and unusual claims: a verdict or one line and exit 2, never a traceback,
a hang or a numpy warning (issue 20, items 7, 12 and 17).

The claims are data, one file per case under tests/data/claims/ (see cases.py). Header keys:
`spec` (a config, from the project root) and `spec-set` (a YAML flow mapping laid over it, or
the whole spec); `exit`; `stderr`, text the one error line holds; `verdicts`, `id=status:text`
pairs joined by `;`; `mistakes`, how many root mistakes the report counts (a named one once,
at every claim it shows in: teach/verdicts.mistakes); `child: yes` runs the case in a child
process with a time and memory limit, so a formula that would make SymPy run for minutes
fails the case instead of hanging the suite.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml
from cases import Case, case_params
from child import cli_child
from conftest import CONFIGS, ROOT
from typer.testing import CliRunner

from backprop_tutor.cli import app
from backprop_tutor.spec import load_spec
from backprop_tutor.teach.check import Checker
from backprop_tutor.teach.claims import load_claims
from backprop_tutor.teach.verdicts import mistakes

CHILD_SECONDS = 60  # a case takes about 2 s; a regression hangs for minutes
CHILD_MEMORY = 2 << 30  # bytes of address space; a regression expanded a power to 3.9 GB


def _spec(case: Case, tmp_path: Path) -> Path:
    """The case's spec: the named config, with `spec-set` laid over it in a file of its own."""
    base = ROOT / case.get("spec") if case.get("spec") else None
    changes = yaml.safe_load(case.get("spec-set") or "{}")
    if not changes:
        assert base, f"{case.path}: no spec"
        return base
    data = yaml.safe_load(base.read_text(encoding="utf-8")) if base else {}
    data.update(changes)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _in_process(spec: Path, claims: Path) -> tuple[int, str, str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(app, ["check", str(spec), str(claims), "--width", "200"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    noisy = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not noisy, noisy
    return result.exit_code, result.output, result.stderr


def _in_child(spec: Path, claims: Path, cwd: Path) -> tuple[int, str, str]:
    done = cli_child(
        ["check", str(spec), str(claims)],
        seconds=CHILD_SECONDS,
        memory=CHILD_MEMORY,
        cwd=cwd,
        columns=200,
    )
    return done.returncode, done.stdout, done.stderr


def _verdicts(spec: Path, claims: Path) -> dict:
    from backprop_tutor.teach.formula import check_formulas

    checker = Checker(load_spec(spec))
    read = checker.load(claims)
    verdicts = checker.check(read)
    formulas = [c for c in read if c.is_formula]
    if formulas:
        verdicts += check_formulas(checker, formulas, str(claims))
    return {v.claim.id: v for v in verdicts}


def _expected_verdicts(case: Case) -> dict[str, tuple[str, str]]:
    """`id=status:text; ...` as {id: (status, text)}."""
    found = {}
    for part in filter(None, (p.strip() for p in case.get("verdicts").split(";"))):
        key, _, rest = part.partition("=")
        status, _, text = rest.partition(":")
        found[key.strip()] = (status.strip(), text.strip())
    return found


@pytest.mark.parametrize("case", case_params("claims"))
def test_a_hostile_claim_gets_a_verdict_or_one_line(case: Case, tmp_path: Path) -> None:
    spec = _spec(case, tmp_path)
    if case.get("child") == "yes":
        code, output, errors = _in_child(spec, case.path, tmp_path)
    else:
        code, output, errors = _in_process(spec, case.path)
    assert "Traceback" not in output + errors
    assert code == int(case.get("exit")), output + errors
    if code == 2:
        line = errors.strip()
        assert "\n" not in line, line
        assert line.startswith(f"error: {case.path}:"), line  # the file to mend, and the line
        assert case.get("stderr") in line, line
        return
    assert errors == "", errors  # no warning, nothing but the report
    if case.get("verdicts"):
        verdicts = _verdicts(spec, case.path)
        for key, (status, text) in _expected_verdicts(case).items():
            assert verdicts[key].status == status, verdicts[key]
            assert text in verdicts[key].detail, verdicts[key]
        assert all(v.ok for v in verdicts.values()) == (code == 0)
    if case.get("mistakes"):
        found = mistakes(list(_verdicts(spec, case.path).values()))
        assert len(found) == int(case.get("mistakes")), [m.ids for m in found]


# -- every id of the trace, in every shape ------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("loss", ("loss", "", 1, None)),
        ("loss[o1]", ("loss", "o1", 1, None)),
        ("grad[w5]@2", ("grad", "w5", 2, None)),
        ("out[y1]@test1", ("out", "y1", 0, 1)),
        ("loss@test12", ("loss", "", 0, 12)),
        ("path[w1,o1]@3", ("path", "w1,o1", 3, None)),
        ("dnet_dout[o1,h1]", ("dnet_dout", "o1,h1", 1, None)),
        ("old[w11^(1)]", ("old", "w11^(1)", 1, None)),
        ("grad[w5]#2", ("grad", "w5", 1, None)),  # example 2 of a batch
        ("delta[h1]@3#2", ("delta", "h1", 3, None)),
    ],
)
def test_every_id_shape_is_parsed(key: str, parts: tuple) -> None:
    from backprop_tutor.teach.claims import parse_id

    ident = parse_id(key)
    assert (ident.kind, ident.inside, ident.step, ident.test) == parts and ident.known


def test_an_unknown_id_shape_is_not_an_error() -> None:
    from backprop_tutor.teach.claims import parse_id

    assert not parse_id("grad[w5]#x").known
    assert not parse_id("out[o1]@test1#2").known  # a test example has no batch
    assert parse_id("delta[h1]@3#2").example == 2


SPECS = {
    "dawood-3-steps": ("configs/dawood.yaml", {"steps": 3}),
    "borela-2-steps": ("configs/borela.yaml", {"steps": 2}),
    "xu-softmax": ("configs/xu-softmax.yaml", {}),
    "layered": ("configs/layered.yaml", {}),
    "xu-dead-relu": ("configs/xu-dead-relu.yaml", {}),
}


def _load(name: str, tmp_path: Path):
    config, changes = SPECS[name]
    if not changes:
        return load_spec(ROOT / config)
    data = yaml.safe_load((ROOT / config).read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_spec(path)


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("wrong", ["0.12345", "0", "-1e300"])
def test_every_id_claimed_wrong_at_once_gets_a_verdict(name: str, wrong: str, tmp_path) -> None:
    """Every id of the trace (steps, tests, paths, givens) claimed at once: each claim's
    recomputation reads other wrong claims, variants divide by dead units; no exception and
    no numpy warning."""
    from decimal import Decimal

    from backprop_tutor.teach.claims import Claim

    spec = _load(name, tmp_path)
    checker = Checker(spec)
    claims = [Claim(key, wrong, 1, Decimal(wrong)) for key in checker.v]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        verdicts = checker.check(claims)
    assert [v.claim.id for v in verdicts] and len(verdicts) == len(claims)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_id_claimed_exactly_matches(name: str, tmp_path) -> None:
    from decimal import Decimal

    from backprop_tutor.core.numbers import NumberFormat
    from backprop_tutor.teach.claims import Claim

    spec = _load(name, tmp_path)
    checker = Checker(spec)
    shown = NumberFormat(6, spec.display.rounding, fixed=True)  # as the spec's display cuts
    texts = {key: shown.format(value) for key, value in checker.v.items()}
    claims = [Claim(key, text, 1, Decimal(text)) for key, text in texts.items()]
    assert [v for v in checker.check(claims) if not v.ok] == []


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_id_has_a_formula_or_none(name: str, tmp_path) -> None:
    """FormulaChecker.expected never raises: a formula where one is derived, None (one line,
    'no formula to compare') for the rest: predictions (tests, the example after the update),
    givens, ids past the steps."""
    from backprop_tutor.teach.formula import FORMULA_KINDS, FormulaChecker

    formulas = FormulaChecker(Checker(_load(name, tmp_path)))
    found = {key: formulas.expected(key) for key in formulas.checker.v}
    assert {k for k, e in found.items() if e is not None} >= {
        k
        for k in found
        if k.startswith(("delta[", "de_dout[", "loss")) and "@test" not in k and "@after" not in k
    }
    assert all(e is None for k, e in found.items() if not k.startswith(FORMULA_KINDS))


def test_a_variant_that_cannot_run_does_not_apply(monkeypatch, tmp_path: Path) -> None:
    """The variants run the spec changed (one step more, SSE, ...); one refused (its trace too
    large, its numbers overflowing) is no error in the user's spec: the claim still gets its
    verdict."""
    import backprop_tutor.teach.check as check_module
    from backprop_tutor.core.errors import SpecError, TrainingError

    real = check_module.run

    def refusing(spec):
        if spec.steps > 1:
            raise SpecError(spec.file, "2 steps of this network would record too many numbers")
        if spec.loss == "sse":
            raise TrainingError(spec.file, "step 1: loss is inf")
        return real(spec)

    monkeypatch.setattr(check_module, "run", refusing)
    claims = ROOT / "golden" / "dawood.values.yaml"
    checker = Checker(load_spec(CONFIGS / "dawood.yaml"))
    verdicts = checker.check(load_claims(claims, set(checker.v)))
    assert verdicts and all(v.ok for v in verdicts)
    wrong = load_claims(_write(tmp_path, "new[w5]: 0.12345\n"), set(checker.v))
    assert checker.check(wrong)[0].status == "mismatch"


def test_one_checker_checks_two_claims_files(tmp_path: Path) -> None:
    """The variant runs keep only the ids claimed; a second file's ids are run again."""
    checker = Checker(load_spec(CONFIGS / "dawood.yaml"))
    first = load_claims(_write(tmp_path, "out[h1]: 0.60108\n"), set(checker.v))
    second = load_claims(_write(tmp_path, "new[w1]: 0.09943\n"), set(checker.v))
    assert checker.check(first)[0].ok
    assert checker.check(second)[0].status == "variant"  # the layer-by-layer update


def _write(folder: Path, text: str) -> Path:
    path = folder / "claims-written-by-the-test.yaml"
    path.write_text(text, encoding="utf-8")
    return path
