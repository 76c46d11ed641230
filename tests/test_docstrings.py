"""Module docstrings shown by ``--help`` keep their example commands as written."""

import glob
import io
import os
import tokenize

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = sorted(p for folder in ("ahns_tf", "benchmarks", "pipelines", "tuning")
                 for p in glob.glob(os.path.join(REPO, folder, "**", "*.py"), recursive=True))


def _module_docstring_token(path: str):
    with open(path) as f:
        tokens = tokenize.generate_tokens(io.StringIO(f.read()).readline)
        for token in tokens:
            if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING):
                continue
            return token.string if token.type == tokenize.STRING else None
    return None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: os.path.relpath(p, REPO))
def test_a_shell_line_continuation_in_a_docstring_survives(path):
    # In a plain string, backslash-newline joins the lines: `--help` would print an example
    # command as one line with a gap. A raw docstring (r\"\"\") keeps it as typed.
    literal = _module_docstring_token(path)
    if literal is None or "\\\n" not in literal.replace("\\\\", ""):
        return
    assert literal.lower().startswith("r"), (
        f"{os.path.relpath(path, REPO)}: its docstring ends a line with a backslash; "
        "make it a raw docstring (r\"\"\"...)")
