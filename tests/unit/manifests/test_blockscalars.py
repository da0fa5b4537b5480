"""manifests/blockscalars.py: block scalar bodies are cut out only where libyaml provably reads them as text.

Each case is also checked against the reference parser: the fast path must give exactly its value.
"""

from __future__ import annotations

import pytest

from kubepush.manifests import blockscalars, fastyaml, yaml11

SCRIPT = """apiVersion: v1
kind: ConfigMap
metadata:
  name: scripts
data:
  entrypoint.sh: |
    #!/bin/sh
    cat <<EOF > /tmp/*.conf
    \tindented: with a tab
    EOF
    exec "$@" && echo !done
  nginx.conf: |-
    server {
      listen 8080;
    }
  LOG_LEVEL: info
"""


def test_a_configmap_with_a_script_takes_the_fast_path_with_the_reference_value() -> None:
    cut = blockscalars.structure(SCRIPT)
    assert cut is not None and "#!" not in cut and "<<" not in cut and "\t" not in cut
    assert "  entrypoint.sh: |\n  nginx.conf: |-\n  LOG_LEVEL: info\n" in cut
    assert fastyaml._fast(SCRIPT) is not fastyaml._UNSAFE
    assert fastyaml._fast(SCRIPT) == yaml11.parse_document(SCRIPT).value


@pytest.mark.parametrize(
    "text",
    [
        "a: foo\n  - |\n   *x\n",  # '- |' continues the plain scalar foo: "foo - | *x"
        "a:\n  foo\n  - |\n    *x\n",  # the same, the scalar on its own line
        'a: "x\n  b: |\n   *y\n  z"\n',  # inside a quoted scalar over several lines
        "a: [x,\n  b: |\n   *y\n  ]\n",  # inside a flow collection over several lines
        "a:\n  |\n  *x\n",  # a header alone on its line: its parent's column is elsewhere
        "a: |2\n   *x\n",  # an explicit indentation indicator
        "a: &r |\n  *x\n",  # an anchor on the header
        "a: |\n      \n  *x\n",  # a leading blank line longer than the content's indentation
        "a: |\n  ok\n \t*x\n",  # a tab before the indentation: libyaml's error
        "? a\n: |\n  *x\n",  # a complex key
    ],
)
def test_what_cannot_be_proven_keeps_the_whole_text(text: str) -> None:
    cut = blockscalars.structure(text)
    assert cut is None or "*x" in cut or "*y" in cut
    assert fastyaml._fast(text) is fastyaml._UNSAFE  # so the exact path decides


def test_bodies_end_at_the_first_less_indented_line() -> None:
    text = "a:\n- name: x\n  s: >\n    *body\n  t: !tag v\n- |\n  &body\n- y\n"
    cut = blockscalars.structure(text)
    assert cut == "a:\n- name: x\n  s: >\n  t: !tag v\n- |\n- y\n"  # the tag on t is structure: still searched
    assert fastyaml._fast(text) is fastyaml._UNSAFE


def test_a_script_ending_in_a_quote_is_not_mistaken_for_an_empty_block_scalar() -> None:
    """The value check for a string that is one newline once matched the end of ``exec "$@"\\n``."""
    text = 'kind: ConfigMap\ndata:\n  run.sh: |\n    #!/bin/sh\n    exec "$@"\n'
    assert fastyaml._fast(text) == yaml11.parse_document(text).value == {
        "kind": "ConfigMap", "data": {"run.sh": '#!/bin/sh\nexec "$@"\n'}}
    assert fastyaml._fast("kind: x\nempty: |\n") is fastyaml._UNSAFE  # the one newline yaml-rs keeps, libyaml not
