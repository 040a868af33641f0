"""What CI systems display: GitHub step-summary Markdown and JUnit XML, for ``regressions`` and
``changes``.

- ``github_*``: a one-line headline, then a Markdown table of the regressions (improvements
  follow in a collapsed ``<details>`` block), for ``$GITHUB_STEP_SUMMARY``.
- ``junit_*``: ``<testsuites><testsuite><testcase>...`` with one testcase per series and a
  ``<failure>`` for a regressed one, ``<skipped>`` for one that could not be judged; Jenkins,
  GitLab and GitHub test reporters read it.

Inputs are the plain dicts the JSON output prints (``Finding.as_dict``, ``change_dict``).
"""

from __future__ import annotations

from typing import Any, Iterable

REGRESSION, IMPROVEMENT = "regression", "improvement"


def pct(v: float | None) -> str:
    """A change as a signed percent (``+12.3%``), ``-`` when there is none."""
    return "-" if v is None else f"{v:+.1f}%"


def num(v: float | None) -> str:
    if v is None:
        return "-"
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
        return f"{v:.3g}"
    return f"{v:,.3f}".rstrip("0").rstrip(".")


def pval(v: float | None) -> str:
    return "-" if v is None else f"{v:.2g}"


def _md_cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def md_table(header: list[str], rows: Iterable[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _headline(icon: str, what: str, counts: dict[str, int], series: int) -> str:
    reg, imp = counts.get(REGRESSION, 0), counts.get(IMPROVEMENT, 0)
    return (f"### {icon} benchwh {what}: {_plural(reg, 'regression')}, "
            f"{_plural(imp, 'improvement')} in {series} series")


def _github(title: str, counts: dict[str, int], series: int, header: list[str], rows_of,
            items: list[dict], note: str) -> str:
    reg = [d for d in items if d["verdict"] == REGRESSION]
    imp = [d for d in items if d["verdict"] == IMPROVEMENT]
    parts = [_headline(":x:" if reg else ":white_check_mark:", title, counts, series), "", note, ""]
    parts.append(md_table(header, [rows_of(d) for d in reg]) if reg else "No regressions.")
    if imp:
        parts += ["", f"<details><summary>{_plural(len(imp), 'improvement')}</summary>", "",
                  md_table(header, [rows_of(d) for d in imp]), "", "</details>"]
    return "\n".join(parts)


def _regression_row(d: dict) -> list[Any]:
    stat = f"p={pval(d['p_value'])}" if d.get("p_value") is not None else (
        f"z={d['z']:+.2f}" if d.get("z") is not None else "-")
    return [d["series"], num(d["baseline"]), num(d["current"]), pct(d["change_pct"]), stat, d["method"]]


REGRESSION_HEADER = ["series", "baseline", "current", "change", "p / z", "method"]


def github_regressions(findings: list[dict], counts: dict[str, int], baseline: str, method: str) -> str:
    """Step-summary Markdown for ``benchwh regressions``."""
    series = sum(counts.values())
    note = f"Baseline: {baseline}; method: {method}."
    return _github("regressions", counts, series, REGRESSION_HEADER, _regression_row, findings, note)


def _change_row(d: dict) -> list[Any]:
    commit = (d.get("git_commit") or "-")[:10]
    return [d["series"], str(d["measured_at"])[:19], commit, num(d["before"]), num(d["after"]),
            pct(d["change_pct"]), pval(d["p_value"]), d["tested_on"]]


CHANGE_HEADER = ["series", "first point after", "commit", "before", "after", "change", "p", "tested on"]


def github_changes(changes: list[dict], counts: dict[str, int], series: int, alpha: float,
                   min_change_pct: float) -> str:
    """Step-summary Markdown for ``benchwh changes``."""
    note = f"E-divisive means, p <= {alpha:g}, changes of {min_change_pct:g}% or more."
    return _github("changes", counts, series, CHANGE_HEADER, _change_row, changes, note)


def _xml(suite: str, cases: list[tuple[str, str, str | None, str | None, str | None]]) -> str:
    """``cases``: (classname, name, failure message or None, failure text, skipped message)."""
    import xml.etree.ElementTree as ET

    failures = sum(1 for c in cases if c[2] is not None)
    skipped = sum(1 for c in cases if c[2] is None and c[4] is not None)
    root = ET.Element("testsuites", name="benchwh", tests=str(len(cases)), failures=str(failures),
                      errors="0")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)), failures=str(failures),
                       errors="0", skipped=str(skipped), time="0")
    for classname, name, fail, text, skip in cases:
        tc = ET.SubElement(ts, "testcase", classname=classname, name=name, time="0")
        if fail is not None:
            f = ET.SubElement(tc, "failure", type=REGRESSION, message=fail)
            f.text = text
        elif skip is not None:
            ET.SubElement(tc, "skipped", message=skip)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _classname(d: dict) -> str:
    # The series without its metric: CI tools group testcases by class.
    return d["series"].rsplit(" | ", 1)[0]


def junit_regressions(findings: list[dict]) -> str:
    """JUnit XML for ``benchwh regressions``: one testcase per series (all of them, judged or
    not); a failure for a regression, skipped for a series without a baseline or data."""
    cases = []
    for d in findings:
        fail = text = skip = None
        what = f"{d['metric']} {pct(d['change_pct'])} ({d['method']}"
        what += f", p={pval(d['p_value'])})" if d.get("p_value") is not None else ")"
        if d["verdict"] == REGRESSION:
            fail = f"regression: {what}"
            text = (f"{d['series']}\nbaseline {num(d['baseline'])} ({d.get('baseline_at')}, run "
                    f"{d.get('baseline_run')})\ncurrent {num(d['current'])} ({d.get('current_at')}, run "
                    f"{d.get('current_run')})\n{d['direction']}" + (f"\n{d['reason']}" if d.get("reason") else ""))
        elif d["verdict"] not in (IMPROVEMENT, "unchanged"):
            skip = f"{d['verdict']}: {d.get('reason') or ''}".rstrip(": ")
        cases.append((_classname(d), d["metric"], fail, text, skip))
    return _xml("benchwh regressions", cases)


def junit_changes(series: list[dict]) -> str:
    """JUnit XML for ``benchwh changes``: one testcase per series analysed
    (``{"series", "metric", "changes": [change_dict...]}``); a failure when any of its change
    points is a regression, listing them all."""
    cases = []
    for s in series:
        regs = [c for c in s["changes"] if c["verdict"] == REGRESSION]
        fail = text = None
        if regs:
            fail = f"{_plural(len(regs), 'regression')}: " + ", ".join(
                f"{pct(c['change_pct'])} at {str(c['measured_at'])[:19]}" for c in regs)
            text = "\n".join(
                f"{str(c['measured_at'])[:19]} commit {c.get('git_commit') or '-'} run {c['run_id']}: "
                f"{num(c['before'])} -> {num(c['after'])} ({pct(c['change_pct'])}, p={pval(c['p_value'])}, "
                f"{c['verdict']}, tested on {c['tested_on']})" for c in s["changes"])
        cases.append((_classname(s), s["metric"], fail, text, None))
    return _xml("benchwh changes", cases)
