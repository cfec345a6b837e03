"""How the lexicon-driven Arabic stemmer classes the most frequent attested forms.

For every form among the lexicon's N most frequent (default 50,000) that starts with a letter
that can be a proclitic (و ف ب ك ل) or with the article, and whose rest is itself attested,
the analysis either takes the letter off (clitic + word: وقال = و + قال) or keeps it (a word
of its own: كمال is not ك + مال). The same for endings (ة ات ون ين وا ت ا, pronouns): an
inflection of an attested word, or a word of its own (مدرسة is not مدرس + ة). Prints the
counts, then a seeded random sample of forms to check by hand.

    python bench/lexicon_check.py [--top 50000] [--sample 200] [--seed 17]
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.analysis.lexicon import most_frequent  # noqa: E402
from search.analysis.stem import (MIN_REMAINDER, _ending_candidates,  # noqa: E402
                                  _proclitic_candidates, arabic_steps, split_ending,
                                  split_proclitic, stem_arabic)


def proclitic_class(form: str, forms: set[str]) -> str | None:
    """"clitic" or "own" for a form with an attested proclitic reading, else None."""
    rests = [r for r in _proclitic_candidates(form) if r in forms and len(r) >= MIN_REMAINDER]
    if not rests:
        return None
    steps = arabic_steps(form)
    took_off = any(split_proclitic(a) == b for a, b in zip(steps, steps[1:]))
    return "clitic" if took_off else "own"


def ending_class(form: str, forms: set[str]) -> str | None:
    """"inflected" or "own" for a form with an attested reading as word + ending, else None."""
    rests = [r for r in _ending_candidates(form) if r in forms and len(r) >= MIN_REMAINDER]
    if not rests:
        return None
    return "inflected" if split_ending(form) is not None else "own"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--top", type=int, default=50_000, help="most frequent forms to class")
    p.add_argument("--sample", type=int, default=200, help="forms to print for a hand check")
    p.add_argument("--seed", type=int, default=17)
    args = p.parse_args()
    top = most_frequent(args.top)
    forms = set(top)
    proclitic, ending, ambiguous = Counter(), Counter(), []
    for form in top:
        kind = proclitic_class(form, forms)
        if kind:
            proclitic[kind] += 1
            ambiguous.append(("proclitic", kind, form))
        kind = ending_class(form, forms)
        if kind:
            ending[kind] += 1
            ambiguous.append(("ending", kind, form))
    print(f"{len(top)} most frequent forms of the lexicon")
    print(f"first letter or article with an attested rest: {sum(proclitic.values())}: "
          f"{proclitic['clitic']} clitic + word, {proclitic['own']} words of their own")
    print(f"an ending with an attested rest: {sum(ending.values())}: "
          f"{ending['inflected']} inflected forms, {ending['own']} words of their own")
    print(f"\nrandom sample of {args.sample} (seed {args.seed}): kind, class, form → stem, steps")
    for what, kind, form in sorted(random.Random(args.seed).sample(ambiguous, args.sample)):
        steps = " → ".join(arabic_steps(form))
        print(f"{what:9}  {kind:9}  {form} → {stem_arabic(form)}    {steps}")


if __name__ == "__main__":
    main()
