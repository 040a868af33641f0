"""``benchwh regressions`` (judge the latest result of every series) and ``benchwh annotate``
(mark an expected change so it is not flagged)."""

from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import options, out, out_json, say, warehouse
from benchwh.errors import QueryError

FORMATS = ("table", "json", "csv", "markdown", "github", "junit")
_SHOWN = ("regression", "improvement", "unchanged")


def parse_threshold(text: str) -> float:
    """``5%`` or ``5`` -> 5.0 (percent)."""
    t = text.strip().removesuffix("%").strip()
    try:
        value = float(t)
    except ValueError:
        raise QueryError(f"--threshold {text!r}: give a percentage such as 5%") from None
    return value


def _num(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    return f"{v:.{digits}g}" if abs(v) < 1e-3 or abs(v) >= 1e6 else f"{v:,.{digits}f}".rstrip("0").rstrip(".")


def _stat(d: dict) -> str:
    if d["p_value"] is not None:
        return f"p={d['p_value']:.2g}"
    if d["z"] is not None:
        return f"z={d['z']:+.2f}"
    return "-"


def _rows(findings: list[dict]) -> list[list[str]]:
    return [[d["series"], _num(d["baseline"]), _num(d["current"]),
             "-" if d["change_pct"] is None else f"{d['change_pct']:+.1f}%", _stat(d),
             d["method"] + (f" ({d['reason']})" if d["reason"] and d["verdict"] in _SHOWN else ""),
             d["verdict"] + (f" ({d['reason']})" if d["reason"] and d["verdict"] not in _SHOWN else "")]
            for d in findings]


HEADER = ["series", "baseline", "current", "change", "p / z", "method", "verdict"]


def _csv(findings: list[dict]) -> str:
    import csv
    import io

    buf = io.StringIO()
    if findings:
        w = csv.DictWriter(buf, fieldnames=list(findings[0]), lineterminator="\n")
        w.writeheader()
        for d in findings:
            w.writerow({k: ("" if v is None else v) for k, v in d.items()})
    return buf.getvalue().rstrip("\n")


@options()
def regressions(
    baseline: Annotated[str, typer.Option("--baseline", help="`previous`, a run id, a git commit or a date (YYYY-MM-DD).")] = "previous",
    method: Annotated[str, typer.Option("--method", help="auto (Mann-Whitney U where raw samples allow, else threshold), threshold, mwu, zscore or changepoint (latest segment against the previous one).")] = "auto",
    threshold: Annotated[str, typer.Option("--threshold", help="Smallest change that counts, in percent.")] = "5%",
    alpha: Annotated[float, typer.Option("--alpha", help="Mann-Whitney U: p-value below which a change is significant.")] = 0.002,
    min_samples: Annotated[int, typer.Option("--min-samples", help="Raw samples per side for the rank test; earlier points for the z-score.")] = 5,
    window: Annotated[int, typer.Option("--window", help="z-score: earlier points in the rolling window.")] = 10,
    z: Annotated[float, typer.Option("--z", help="z-score: |z| at or above which a change is significant.")] = 3.0,
    metric: Annotated[Optional[List[str]], typer.Option("--metric", help="Metric or family (latency, throughput, memory); repeatable.", show_default=False)] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Only this model.", show_default=False)] = None,
    hardware: Annotated[Optional[str], typer.Option("--hardware", help="Only this hardware type.", show_default=False)] = None,
    benchmark: Annotated[Optional[str], typer.Option("--benchmark", help="Only this generic benchmark (exact name).", show_default=False)] = None,
    param: Annotated[Optional[List[str]], typer.Option("--param", help="Only this benchmark parameter value: KEY=VALUE (repeatable).", show_default=False)] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also list series that could not be judged (one point, no baseline, too few samples).")] = False,
    fail_on_regression: Annotated[bool, typer.Option("--fail-on-regression", help="Exit 1 when any series regressed (for CI).")] = False,
    fmt: Annotated[str, typer.Option("--format", help=f"Output: {', '.join(FORMATS)}.")] = "table",
    db=None, data_path=None, as_json=False, wide=False,  # the shared options (``options``)
) -> None:
    """Compare each series' latest result with its baseline, direction-aware.

    A series is one model (or benchmark name and parameters), hardware, device and
    configuration, measured or simulated (never mixed). Latency and memory: lower is better; throughput: higher is better. Annotations
    (`benchwh annotate`) restart a series' baseline.
    """
    from benchwh.regress import Settings

    if as_json:
        fmt = "json"
    if fmt not in FORMATS:
        raise QueryError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    settings = Settings(method=method, threshold_pct=parse_threshold(threshold), alpha=alpha,
                        min_samples=min_samples, window=window, z=z)
    report = warehouse(db, data_path).regressions(settings, baseline=baseline, metrics=metric, model=model,
                                                  hardware=hardware, benchmark=benchmark, params=param)
    findings = [f.as_dict() for f in report.findings if show_all or f.verdict in _SHOWN]
    counts = report.counts()
    if fmt == "json":
        out_json({"baseline": str(report.baseline), "method": settings.method,
                  "threshold_pct": settings.threshold_pct, "counts": counts, "findings": findings})
    elif fmt == "csv":
        out(_csv(findings))
    elif fmt == "markdown":
        from benchwh.regress.ci import md_table

        out(md_table(HEADER, _rows(findings)))
    elif fmt == "github":
        from benchwh.regress.ci import github_regressions

        out(github_regressions(findings, counts, str(report.baseline), settings.method))
    elif fmt == "junit":
        from benchwh.regress.ci import junit_regressions

        out(junit_regressions([f.as_dict() for f in report.findings]))
    else:
        from benchwh.cli.render import text_table

        out(text_table(HEADER, _rows(findings), wrap=not wide) if findings else
            "no series with a baseline to compare" + ("" if show_all else " (--all lists every series)"))
    say(", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no series")
    if fail_on_regression and report.regressions:
        say(f"--fail-on-regression: {len(report.regressions)} regression(s)")
        raise typer.Exit(1)


@options()
def annotate(
    hardware: Annotated[str, typer.Option("--hardware", help="Hardware type (cpu, cuda, rocm, ...).")],
    at: Annotated[str, typer.Option("--at", help="When the change took effect (YYYY-MM-DD or ISO time).")],
    note: Annotated[str, typer.Option("--note", help="Why the change is expected.")],
    device: Annotated[Optional[str], typer.Option("--device", help="Only this device name.", show_default=False)] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="Only this batch size.", show_default=False)] = None,
    sequence_length: Annotated[Optional[int], typer.Option("--sequence-length", help="Only this sequence length.", show_default=False)] = None,
    precision: Annotated[Optional[str], typer.Option("--precision", help="Only this precision.", show_default=False)] = None,
    metric: Annotated[Optional[str], typer.Option("--metric", help="Only this metric or family (latency, throughput, memory).", show_default=False)] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Model name, as stored (or give --benchmark).", show_default=False)] = None,
    benchmark: Annotated[Optional[str], typer.Option("--benchmark", help="A generic benchmark's name, as stored (instead of --model).", show_default=False)] = None,
    param: Annotated[Optional[List[str]], typer.Option("--param", help="Only the benchmark's series with this parameter value: KEY=VALUE (repeatable).", show_default=False)] = None,
    db=None, data_path=None, as_json=False,  # the shared options (``options``)
) -> None:
    """Mark an expected change so that it is not reported as a regression.

    From --at on, the baselines of the matching series start afresh. Options left out match
    any value.
    """
    import json

    from benchwh import normalize as nz
    from benchwh.api import parse_params
    from benchwh.records import Annotation
    from benchwh.regress import check_metric

    if model is None and benchmark is None:
        raise QueryError("annotate needs `--model NAME` or `--benchmark NAME`")
    pairs = parse_params(param)
    hw = nz.hardware_type(hardware)
    if hw is None:
        raise QueryError(f"--hardware {hardware!r}: unknown hardware; use one of {', '.join(nz.HARDWARE_TYPES)}")
    when = nz.parse_time(at)
    if when is None:
        raise QueryError(f"--at {at!r}: not a time; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")
    ann = Annotation(effective_at=when, note=note, model_name=model, hardware_type=hw,
                     device_name=device, batch_size=batch_size, sequence_length=sequence_length,
                     precision=precision, metric=check_metric(metric) if metric else None,
                     benchmark=benchmark,
                     benchmark_params=json.dumps(dict(pairs), sort_keys=True) if pairs else None)
    added, matching = warehouse(db, data_path).annotate(ann)
    if as_json:
        out_json({"annotation_id": ann.annotation_id, "added": added, "matching_results": matching})
        return
    out(f"{'annotated' if added else 'already annotated'}: {ann.annotation_id} at {when.isoformat()}")
    if matching == 0:
        say(f"note: no completed result matches {model or benchmark} on {hw} with these filters (yet)")


CHANGE_FORMATS = ("table", "json", "csv", "markdown", "github", "junit")


@options()
def changes(
    metric: Annotated[Optional[List[str]], typer.Option("--metric", help="Metric or family (latency, throughput, memory); repeatable.", show_default=False)] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Only this model.", show_default=False)] = None,
    benchmark: Annotated[Optional[str], typer.Option("--benchmark", help="Only this generic benchmark.", show_default=False)] = None,
    hardware: Annotated[Optional[str], typer.Option("--hardware", help="Only this hardware type.", show_default=False)] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only points measured from this date (YYYY-MM-DD) on.", show_default=False)] = None,
    min_change: Annotated[str, typer.Option("--min-change", help="Smallest change reported, in percent.")] = "2%",
    alpha: Annotated[float, typer.Option("--alpha", help="p-value at or below which a change is significant.")] = 0.001,
    fail_on_regression: Annotated[bool, typer.Option("--fail-on-regression", help="Exit 1 when any change listed is a regression (with --since: for CI).")] = False,
    fmt: Annotated[str, typer.Option("--format", help=f"Output: {', '.join(CHANGE_FORMATS)}.")] = "table",
    db=None, data_path=None, as_json=False, wide=False,  # the shared options (``options``)
) -> None:
    """Every change point in every series' history (e-divisive means, significance-tested).

    Series as in `benchwh regressions` (simulated never mixed with measured). Raw latency
    samples are used for the test where every point has them (`tested_on` says so); a lone
    outlier is not a change; annotations (`benchwh annotate`) cut a series.
    """
    from benchwh.regress.changes import ChangeSettings
    from benchwh.regress.ci import CHANGE_HEADER, _change_row, github_changes, junit_changes, md_table

    if as_json:
        fmt = "json"
    if fmt not in CHANGE_FORMATS:
        raise QueryError(f"--format {fmt!r}: use one of {', '.join(CHANGE_FORMATS)}")
    try:
        pct = float(min_change.strip().removesuffix("%").strip())
    except ValueError:
        raise QueryError(f"--min-change {min_change!r}: give a percentage such as 2%") from None
    settings = ChangeSettings(alpha=alpha, min_change_pct=pct)
    report = warehouse(db, data_path).changes(settings, metrics=metric, model=model, hardware=hardware,
                                              since=since, benchmark=benchmark)
    rows = report.changes
    counts = report.counts()
    if fmt == "json":
        out_json(rows)
    elif fmt == "csv":
        out(_csv(rows))
    elif fmt == "markdown":
        out(md_table(CHANGE_HEADER + ["verdict"], [_change_row(d) + [d["verdict"]] for d in rows]))
    elif fmt == "github":
        out(github_changes(rows, counts, report.series, settings.alpha, settings.min_change_pct))
    elif fmt == "junit":
        out(junit_changes(report.per_series))
    else:
        from benchwh.cli.render import text_table

        body = [[str(c) for c in _change_row(d)] + [d["verdict"]] for d in rows]
        if body:
            out(text_table(CHANGE_HEADER + ["verdict"], body, wrap=not wide))
        else:
            out("no change points")
    tested = ", ".join(f"{n} on {k}" for k, n in sorted(report.tested_on().items()))
    say(f"{report.series} series, {len(rows)} change points"
        + (f" ({counts['regression']} regression, {counts['improvement']} improvement; tested {tested})" if rows else ""))
    if fail_on_regression and counts["regression"]:
        say(f"--fail-on-regression: {counts['regression']} regression(s)")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("regressions")(regressions)
    app.command("changes")(changes)
    app.command("annotate")(annotate)
