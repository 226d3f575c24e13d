"""Time the two BPE trainers of notebook 08 side by side on tiny Shakespeare.

Both learn the same merges (checked here and in tests/test_bpe.py): ``learn_merges_simple``
recounts every pair after every merge, ``learn_merges_incremental`` updates the counts only in the
chunks a merge changed. Run: ``python benchmarks/bpe_speed.py [--merges 500] [--chars N]``.
"""

from __future__ import annotations

import argparse
import time

from course_utils.bpe import chunk_counts, learn_merges_incremental, learn_merges_simple
from course_utils.data import load_tiny_shakespeare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--merges", type=int, default=500)
    parser.add_argument("--chars", type=int, default=None, help="use only the first N characters")
    args = parser.parse_args()
    text = load_tiny_shakespeare()[: args.chars]
    chunks = chunk_counts(text)
    print(
        f"tiny Shakespeare: {len(text):,} characters, {len(chunks):,} distinct chunks, "
        f"{args.merges} merges"
    )
    times, merges = {}, {}
    for name, learn in (("simple", learn_merges_simple), ("incremental", learn_merges_incremental)):
        start = time.perf_counter()
        merges[name] = learn(chunks, args.merges)
        times[name] = time.perf_counter() - start
    assert merges["simple"] == merges["incremental"], "the two trainers disagree"
    print(f"{'trainer':<12} {'seconds':>8}")
    for name, seconds in times.items():
        print(f"{name:<12} {seconds:8.2f}")
    print(
        f"same {len(merges['simple'])} merges; speed-up {times['simple'] / times['incremental']:.1f}x"
    )


if __name__ == "__main__":
    main()
