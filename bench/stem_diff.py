"""Which of the lexicon's most frequent Arabic forms change stem between two stemmers.

Compares this checkout's search/analysis/stem.py with another version of the file (e.g. main's,
`git show main:search/analysis/stem.py > /tmp/stem_main.py`), over the N most frequent forms,
and prints how many change with a seeded random sample to judge by hand.

    python bench/stem_diff.py OTHER_STEM.py [--top 50000] [--sample 30] [--seed 17]
"""
from __future__ import annotations

import argparse
import importlib.util
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.analysis import stem as current  # noqa: E402
from search.analysis.lexicon import most_frequent  # noqa: E402


def load_stemmer(path: Path):
    """The module in ``path`` as a sibling of search.analysis.stem (its imports resolve)."""
    spec = importlib.util.spec_from_file_location("search.analysis._other_stem", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("other", type=Path, help="another version of search/analysis/stem.py")
    p.add_argument("--top", type=int, default=50_000, help="most frequent forms (default 50,000)")
    p.add_argument("--sample", type=int, default=30, help="changed forms to print (default 30)")
    p.add_argument("--seed", type=int, default=17)
    args = p.parse_args()
    other = load_stemmer(args.other)
    forms = most_frequent(args.top)
    changed = [(rank, form, other.stem_arabic(form), current.stem_arabic(form))
               for rank, form in enumerate(forms, 1)
               if other.stem_arabic(form) != current.stem_arabic(form)]
    print(f"{len(changed)} of the {len(forms)} most frequent forms change stem "
          f"({args.other} → this checkout)")
    sample = random.Random(args.seed).sample(changed, min(args.sample, len(changed)))
    for rank, form, before, now in sorted(sample):
        print(f"{rank:7d}  {form}  {before} → {now}")


if __name__ == "__main__":
    main()
