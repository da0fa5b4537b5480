"""Format registry, ``--report FORMAT=PATH`` parsing and atomic report files."""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kubepush.errors import UsageError
from kubepush.model import Finding, ObjectRef, Result
from kubepush.report import FORMATS, check_format, make_reporter
from kubepush.report.multi import MultiReporter, ReportFile, open_reports, parse_report_spec

OBJ = ObjectRef("apps/v1", "Deployment", "prod", "web")


def finding(root: Path) -> Finding:
    return Finding("schema", "replicas must be an integer", file=str(root / "web.yaml"), line=4, object=OBJ)


def run_into(reporter, root: Path) -> Result:  # type: ignore[no-untyped-def]
    f = finding(root)
    reporter.write(f)
    reporter.document_done(f.file, 0, OBJ, False)
    return Result("validate", [f], documents=1, files=1)


# --- registry -------------------------------------------------------------


def test_make_reporter_imports_only_the_chosen_format() -> None:
    import sys

    for name in FORMATS:
        reporter = make_reporter(name, io.StringIO())
        module, _, cls = FORMATS[name].partition(":")
        assert type(reporter).__name__ == cls and type(reporter).__module__ == module
        assert module in sys.modules


def test_unknown_format_lists_valid_names_and_suggests_one() -> None:
    with pytest.raises(UsageError) as err:
        make_reporter("sarf", io.StringIO())
    message = str(err.value)
    assert "unknown report format 'sarf'" in message
    assert "did you mean 'sarif'?" in message
    assert all(name in message for name in FORMATS)
    with pytest.raises(UsageError) as err:
        check_format("zzzzzz")
    assert "did you mean" not in str(err.value)
    assert check_format(" JUnit ") == "junit"


# --- specs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("sarif=out.sarif", ("sarif", "out.sarif")),
        ("JSON=reports/a=b.json", ("json", "reports/a=b.json")),  # '=' in the path is the path's
        ("markdown=/tmp/summary file.md", ("markdown", "/tmp/summary file.md")),
    ],
)
def test_parse_report_spec(spec: str, expected: tuple[str, str]) -> None:
    assert parse_report_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("sarif", "expected FORMAT=PATH"),
        ("=out.sarif", "expected FORMAT=PATH"),
        ("sarif=", "expected FORMAT=PATH"),
        ("sarif=  ", "expected FORMAT=PATH"),
        ("junt=out.xml", "did you mean 'junit'?"),
    ],
)
def test_bad_report_spec_is_a_usage_error(spec: str, needle: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_report_spec(spec)
    assert needle in str(err.value)
    assert repr(spec) in str(err.value)  # names what the user typed


# --- files ----------------------------------------------------------------


def test_all_report_files_appear_only_at_close(tmp_path: Path) -> None:
    specs = {name: tmp_path / f"report.{name}" for name in FORMATS}
    stdout = io.StringIO()
    with open_reports(
        [f"{name}={path}" for name, path in specs.items()],
        stdout=make_reporter("text", stdout, root=str(tmp_path)),
        root=str(tmp_path),
    ) as reporter:
        result = run_into(reporter, tmp_path)
        assert not any(path.exists() for path in specs.values())  # nothing half-written is visible
        assert "web.yaml:4: error: replicas must be an integer" in stdout.getvalue()  # stdout streams
        reporter.close(result)
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in specs.values())  # no temp files left
    assert json.loads(specs["json"].read_text())["findings"][0]["file"] == "web.yaml"
    assert json.loads(specs["sarif"].read_text())["runs"][0]["results"][0]["ruleId"] == "schema"
    assert ET.parse(specs["junit"]).getroot().find("testsuite").get("failures") == "1"
    assert "\x1b" not in specs["text"].read_text()  # files are never coloured
    assert oct(specs["json"].stat().st_mode & 0o777) == oct(0o644)


def test_crash_leaves_previous_reports_untouched_and_no_temp_files(tmp_path: Path) -> None:
    old = tmp_path / "out.sarif"
    old.write_text("previous run\n")
    with pytest.raises(RuntimeError), open_reports([f"sarif={old}", f"junit={tmp_path / 'j.xml'}"]) as reporter:
        run_into(reporter, tmp_path)
        raise RuntimeError("stage crashed")
    assert old.read_text() == "previous run\n"
    assert os.listdir(tmp_path) == ["out.sarif"]


def test_leaving_without_close_discards_the_reports(tmp_path: Path) -> None:
    with open_reports([f"json={tmp_path / 'a.json'}"]) as reporter:
        run_into(reporter, tmp_path)
    assert os.listdir(tmp_path) == []


def test_a_failing_reporter_publishes_no_file(tmp_path: Path) -> None:
    class DiskFull(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    good = ReportFile(str(tmp_path / "good.json"))
    # JSON writes only at close, so the failure happens inside MultiReporter.close,
    # after the first report was already complete
    reporters = [make_reporter("json", good.stream), make_reporter("json", DiskFull())]
    with MultiReporter(reporters, [good]) as reporter:
        result = run_into(reporter, tmp_path)
        with pytest.raises(OSError):
            reporter.close(result)
    assert os.listdir(tmp_path) == []


def test_unwritable_targets_are_usage_errors_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        open_reports([f"json={tmp_path / 'a.json'}", f"sarif={tmp_path / 'missing' / 'x.sarif'}"])
    assert "cannot write report" in str(err.value) and "missing" in str(err.value)
    assert os.listdir(tmp_path) == []  # the first, fine file was cleaned up too

    with pytest.raises(UsageError) as err:
        open_reports([f"json={tmp_path}"])
    assert "is a directory" in str(err.value)

    with pytest.raises(UsageError) as err:
        open_reports([f"json={tmp_path / 'same'}", f"sarif={tmp_path / 'same'}"])
    assert "already the target of --report json=" in str(err.value)
    assert os.listdir(tmp_path) == []


def test_multireporter_fans_out_every_call() -> None:
    outs = [io.StringIO(), io.StringIO()]
    reporter = MultiReporter([make_reporter("tap", outs[0]), make_reporter("github", outs[1])])
    reporter.close(run_into(reporter, Path("/r")))
    assert "not ok 1 - Deployment/prod/web (doc 0)" in outs[0].getvalue()
    assert outs[1].getvalue().startswith("::error file=/r/web.yaml,line=4,")
