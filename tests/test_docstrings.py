"""Every module has a docstring; those ``--help`` shows keep their example commands as written."""

import glob
import io
import os
import tokenize

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


def test_every_module_has_a_docstring_that_help_prints_as_written():
    # In a plain string, backslash-newline joins the lines: `--help` would print an example
    # command as one line with a gap. A raw docstring (r\"\"\") keeps it as typed.
    missing, joined = [], []
    for path in MODULES:
        literal = _module_docstring_token(path)
        name = os.path.relpath(path, REPO)
        if literal is None:
            missing.append(name)
        elif "\\\n" in literal.replace("\\\\", "") and not literal.lower().startswith("r"):
            joined.append(name)
    assert not missing, f"modules without a docstring: {missing}"
    assert not joined, (f"docstrings ending a line with a backslash, not raw (make them "
                        f"r\"\"\"...): {joined}")


def test_no_library_module_is_over_250_lines():
    # One job per module (STYLE.md); issue 26 bounds each module of the library.
    long = {os.path.relpath(p, REPO): n for p in MODULES if p.startswith(os.path.join(REPO, "ahns_tf"))
            for n in [sum(1 for _ in open(p))] if n > 250}
    assert not long, f"split these modules: {long}"
