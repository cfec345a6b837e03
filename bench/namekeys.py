"""Precision of the name keys: do an English name and an Arabic word that share a key name the
same thing?

Reads the news corpora (../shared/data/news: reuters21578 in English, saudinewsnet in Arabic),
keys every English word that counts as a name and every Arabic word that does
(search.analysis.namekey), and pairs an English name with an Arabic word of the same key, each
seen at least --min times. A seeded sample of --sample distinct pairs, drawn with a chance in
proportion to how often the two words occur (n_en × n_ar: a match between occurrences), is
printed with the
judgement recorded in bench/namekeys.tsv (``english<TAB>arabic<TAB>1|0``: 1 when the Arabic
word is the same name, or a clitic form of it), and the precision of the judged ones.

    python bench/namekeys.py [--sample 100] [--min 3] [--docs 10000] [--seed 12]
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

from common import CORPORA, NEWS

from search.analysis.namekey import arabic_bases
from search.crossling import name_keys

JUDGED = Path(__file__).with_name("namekeys.tsv")


def read_texts(name: str, docs: int):
    """Title and body of the first ``docs`` articles of a news corpus."""
    with gzip.open(NEWS / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= docs:
                break
            record = json.loads(line)
            yield f"{record.get('title', '')}\n{record.get('body', '')}"


def keyed_words(lang: str, docs: int) -> dict[str, Counter]:
    """key → Counter of the words (Arabic: shown without article or clitic) indexed with it."""
    out: dict[str, Counter] = defaultdict(Counter)
    for text in read_texts(CORPORA[lang], docs):
        for word, key in name_keys(text):  # what the index keys, sentence openers apart
            out[key[2:]][word if lang == "en" else arabic_bases(word)[-1]] += 1
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sample", type=int, default=100)
    p.add_argument("--min", type=int, default=3, help="times each word is seen, at least")
    p.add_argument("--docs", type=int, default=10_000, help="articles read from each corpus")
    p.add_argument("--seed", type=int, default=12)
    args = p.parse_args()
    en, ar = keyed_words("en", args.docs), keyed_words("ar", args.docs)
    pairs = sorted({(e, a, key) for key in en.keys() & ar.keys()
                    for e, ne in en[key].items() if ne >= args.min
                    for a, na in ar[key].items() if na >= args.min})
    print(f"{len(en)} English keys, {len(ar)} Arabic keys, {len(en.keys() & ar.keys())} shared;"
          f" {len(pairs)} pairs of words seen at least {args.min} times")
    rng = random.Random(args.seed)  # weighted sampling without replacement (Efraimidis-Spirakis)
    weight = {(e, a, k): en[k][e] * ar[k][a] for e, a, k in pairs}
    sample = sorted(pairs, key=lambda pair: -rng.random() ** (1 / weight[pair]))[:args.sample]
    judged = {}
    if JUDGED.exists():
        for line in JUDGED.read_text(encoding="utf-8").splitlines():
            e, a, ok = line.split("\t")
            judged[(e, a)] = ok == "1"
    right = wrong = 0
    for e, a, key in sample:
        verdict = judged.get((e, a))
        right += verdict is True
        wrong += verdict is False
        print(f"{key:<10} {e:<18} {a:<18} {'?' if verdict is None else 'same' if verdict else 'different'}")
    if right + wrong:
        print(f"precision {right / (right + wrong):.2f} on {right + wrong} judged pairs "
              f"({len(sample) - right - wrong} not judged)")


if __name__ == "__main__":
    main()
