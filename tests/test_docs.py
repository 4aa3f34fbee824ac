"""The pages under docs/ run: every example is a doctest, every relative link resolves.

Each Markdown page is run with ``doctest.testfile`` (ELLIPSIS and NORMALIZE_WHITESPACE)
from an empty working directory, with ``tempfile`` pointed at the test's own folder so
that the folders the examples make are cleaned up with it. A page must keep at least
one example, and a ```toml block on a page must be the text its examples write to disk
(so the file a reader copies is the file the examples check).
"""

from __future__ import annotations

import doctest
import re
import tempfile
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
LINKED = sorted([*DOCS.glob("*.md"), *DOCS.glob("howto/*.md")])

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
# [text](target) and ![alt](target); an optional "title" after the target
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _name(path: Path) -> str:
    return str(path.relative_to(DOCS))


def _prose(text: str) -> str:
    """The page without its fenced blocks (links inside code are not links)."""
    return FENCE.sub("", text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _prose(path.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, re.M)}


def test_pages_exist():
    names = {_name(p) for p in PAGES}
    assert "README.md" in names
    assert {n for n in names if n.startswith("howto/")} >= {
        "howto/write-a-scenario.md",
        "howto/run-a-counterfactual.md",
        "howto/run-on-a-cluster.md",
        "howto/read-the-outputs.md",
    }


@pytest.mark.parametrize("path", PAGES, ids=_name)
def test_examples_run(path, monkeypatch, tmp_path):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # and for the processes the examples start
    text = path.read_text(encoding="utf-8")
    examples = doctest.DocTestParser().get_examples(text, _name(path))
    if path.parent != DOCS:
        assert examples, f"{_name(path)} has no examples (>>> lines)"
    source = "".join(e.source for e in examples)
    for lang, block in FENCE.findall(text):
        if lang == "toml":
            assert block in source, (
                f"{_name(path)}: a ```toml block is not the text the examples write"
            )
    result = doctest.testfile(
        str(path),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} examples failed in {_name(path)}"
    )
    # every ">>> " line of the page is an example that ran (none skipped, none unparsed)
    prompts = len(re.findall(r"^[ ]*>>>(?: |$)", text.expandtabs(), re.M))
    assert result.attempted == prompts, (
        f"{_name(path)}: {prompts} >>> lines, {result.attempted} examples ran"
    )


@pytest.mark.parametrize("path", LINKED, ids=_name)
def test_relative_links_resolve(path):
    text = _prose(path.read_text(encoding="utf-8"))
    links = LINK.findall(text)
    bad = []
    for target in links:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists():
            bad.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            bad.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not bad, f"{_name(path)}: broken links: " + "; ".join(bad)
