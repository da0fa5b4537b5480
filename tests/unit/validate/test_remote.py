"""Extra schema locations (kubeconform templates): folders, HTTP, the on-disk cache."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubepush.validate.remote import expand
from tests.support.kubepush_cli import kubepush

WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}, "additionalProperties": False},
    },
}
WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: {size}\n"


def test_template_expansion_matches_kubeconform() -> None:
    url = expand("https://s/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json",
                 version="1.30.0", strict=True, group="apps", api_version="v1", kind="Deployment")
    assert url == "https://s/v1.30.0-standalone-strict/deployment-apps-v1.json"
    assert expand("/x", version="1.30.0", strict=False, group="", api_version="v1", kind="Service") == \
        "/x/v1.30.0-standalone/service-v1.json"
    assert expand("{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json", version="1.30.0", strict=True,
                  group="cert-manager.io", api_version="v1", kind="Certificate") == "cert-manager.io/certificate_v1.json"


@pytest.fixture
def schema_server(tmp_path: Path) -> Iterator[tuple[str, list[str], http.server.ThreadingHTTPServer]]:
    root = tmp_path / "served" / "example.com"
    root.mkdir(parents=True)
    (root / "widget_v1.json").write_text(json.dumps(WIDGET_SCHEMA))
    requests_seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            requests_seen.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(tmp_path / "served")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests_seen, server
    server.shutdown()
    server.server_close()


def test_http_location_is_used_then_served_from_cache(tmp_path: Path, schema_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    base, seen, server = schema_server
    monkeypatch.setenv("KUBEPUSH_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "ok.yaml").write_text(WIDGET.replace("{size}", "3"))
    (tmp_path / "bad.yaml").write_text(WIDGET.replace("{size}", "big"))
    location = base + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    assert kubepush("validate", "ok.yaml", "--schema-location", location, cwd=tmp_path).returncode == 0
    bad = kubepush("validate", "bad.yaml", "--schema-location", location, "-o", "json", cwd=tmp_path)
    assert bad.returncode == 1 and json.loads(bad.stdout)["findings"][0]["rule"] == "schema-type"
    assert seen == ["/example.com/widget_v1.json"]  # the second run used the cache
    server.shutdown()
    offline = kubepush("validate", "bad.yaml", "--schema-location", location, cwd=tmp_path)
    assert offline.returncode == 1 and "expected integer" in offline.stdout


def test_404_means_not_here_and_unreachable_is_exit_2(tmp_path: Path, schema_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    base, _seen, _server = schema_server
    monkeypatch.setenv("KUBEPUSH_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "g.yaml").write_text("apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n")
    proc = kubepush("validate", "g.yaml", "--schema-location", base + "/{{ .Group }}/{{ .ResourceKind }}.json",
                    "-o", "json", cwd=tmp_path)
    assert proc.returncode == 1 and json.loads(proc.stdout)["findings"][0]["rule"] == "missing-schema"
    down = kubepush("validate", "g.yaml", "--schema-location", "http://127.0.0.1:9/{{ .Kind }}.json", cwd=tmp_path)
    assert down.returncode == 2 and "cannot download schema" in down.stderr


def test_folder_location_and_bad_template(tmp_path: Path) -> None:
    folder = tmp_path / "schemas" / "v1.37.0-standalone-strict"
    folder.mkdir(parents=True)
    (folder / "widget-example-v1.json").write_text(json.dumps(WIDGET_SCHEMA))
    (tmp_path / "w.yaml").write_text(WIDGET.replace("{size}", "x"))
    proc = kubepush("validate", "w.yaml", "--schema-location", "schemas", cwd=tmp_path)
    assert proc.returncode == 1 and "spec.size: expected integer" in proc.stdout
    typo = kubepush("validate", "w.yaml", "--schema-location", "{{ .Grop }}/x.json", cwd=tmp_path)
    assert typo.returncode == 2 and "unknown variable Grop" in typo.stderr
