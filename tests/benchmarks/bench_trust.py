"""Benchmark: re-signing merged notebooks, nbcollab's policy against wholesale re-signing.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_trust.py [--limit 133]

For every real merge of the corpus it merges base/p1/p2 with nbcollab, then asks two questions
in a throw-away Jupyter data dir:

* only the user's own side (p1) is trusted: how many results does each approach sign, and how
  many of those signed results hold a rich output that no trusted version had (what the user
  never agreed to run)? Wholesale re-signing (what nbdev's post-merge hook does with
  ``NotebookNotary.sign``) signs them all.
* both sides are trusted: how many results does nbcollab sign, and why not the others?

It also times ``sign_merge_result`` per merge against one plain ``NotebookNotary.sign``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MERGES = ROOT.parent / "shared" / "corpus" / "merges"


def load_cases(limit: int) -> list[tuple[str, list[bytes]]]:
    cases = []
    for case in sorted(p for p in MERGES.iterdir() if p.is_dir())[:limit]:
        raw = [(case / f"{name}.ipynb").read_bytes() for name in ("base", "p1", "p2")]
        if raw[1].strip() and raw[2].strip():
            cases.append((case.name, raw))
    return cases


def merged_text(raw: list[bytes]) -> str | None:
    from nbcollab.errors import NbcollabError
    from nbcollab.merge.notebook import merge_notebooks
    from nbcollab.notebook.codec import parse_notebook, serialize_notebook

    try:
        base = parse_notebook(raw[0]) if raw[0].strip() else None
        result = merge_notebooks(base, parse_notebook(raw[1]), parse_notebook(raw[2]))
    except NbcollabError:
        return None
    return serialize_notebook(result.notebook)


def trust(notary: object, raw: bytes) -> None:
    from nbcollab.trust.notary import read_as_jupyter

    try:
        notary.sign(read_as_jupyter(raw.decode("utf-8"), path="input"))  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001,S110 - an unreadable version is simply not trusted
        pass


def foreign_rich_output(text: str, trusted: list[bytes]) -> bool:
    """Whether the result holds a rich output found in no trusted version at all."""
    from nbcollab.trust.notary import read_as_jupyter
    from nbcollab.trust.policy import iter_rich_outputs

    seen = []
    for raw in trusted:
        try:
            nb = read_as_jupyter(raw.decode("utf-8"), path="t")
        except Exception:  # noqa: BLE001,S112
            continue
        seen.extend(output for _, output in iter_rich_outputs(nb))
    result = read_as_jupyter(text, path="r")
    return any(output not in seen for _, output in iter_rich_outputs(result))


def run(cases: list[tuple[str, list[bytes]]], *, trust_theirs: bool) -> None:
    from nbcollab.trust.notary import open_notary, sign_merge_result

    os.environ["JUPYTER_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-trust-")
    reasons: collections.Counter[str] = collections.Counter()
    minors: collections.Counter[int] = collections.Counter()
    signed = unsafe_wholesale = unsafe_nbcollab = with_rich = 0
    t_policy = t_plain = 0.0
    with open_notary() as notary:
        for _, raw in cases:
            trust(notary, raw[1])
            if trust_theirs:
                trust(notary, raw[2])
    for _, raw in cases:
        text = merged_text(raw)
        if text is None:
            reasons["merge refused the input"] += 1
            continue
        trusted = raw[1:] if trust_theirs else raw[1:2]
        foreign = foreign_rich_output(text, trusted)
        start = time.perf_counter()
        outcome = sign_merge_result(text, inputs=raw, path="nb")
        t_policy += time.perf_counter() - start
        reasons[outcome.reason.split(":")[0] + ": " + _kind(outcome.reason)] += 1
        minors[json.loads(text).get("nbformat_minor")] += outcome.signed
        with_rich += "no rich output" not in outcome.reason
        signed += outcome.signed
        unsafe_nbcollab += outcome.signed and foreign
        unsafe_wholesale += foreign
        start = time.perf_counter()
        with open_notary() as notary:
            trust(notary, text.encode("utf-8"))
        t_plain += time.perf_counter() - start
    who = "both sides" if trust_theirs else "only p1 (ours)"
    print(
        f"\n== trusted before the merge: {who}; {len(cases)} merges, {with_rich} with rich output"
    )
    print(
        f"wholesale re-signing: signs {len(cases)}, of which {unsafe_wholesale} hold a rich "
        "output no trusted version had"
    )
    print(f"nbcollab:             signs {signed}, of which {unsafe_nbcollab} hold such an output")
    for reason, count in reasons.most_common():
        print(f"  {count:4d}  {reason}")
    print(
        "signed by nbformat 4 minor version: "
        + ", ".join(f"4.{minor}: {count}" for minor, count in sorted(minors.items()) if count)
    )
    print(
        f"time per merge: nbcollab {1000 * t_policy / len(cases):.1f} ms "
        f"({1000 * t_policy / max(with_rich, 1):.1f} ms per merge with rich output), "
        f"wholesale notary.sign {1000 * t_plain / len(cases):.1f} ms"
    )


def _kind(reason: str) -> str:
    # Group reasons without their cell numbers.
    return re.sub(r"cells? \d+( \(id [^)]*\))?", "cell N", reason.split(":", 1)[1].strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args()
    if not MERGES.is_dir():
        sys.exit(f"corpus not found at {MERGES}")
    cases = load_cases(args.limit)
    run(cases, trust_theirs=False)
    run(cases, trust_theirs=True)


if __name__ == "__main__":
    main()
