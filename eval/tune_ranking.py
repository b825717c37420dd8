#!/usr/bin/env python3
"""Chooses the ranking parameters by leave-one-collection-out cross-validation.

Over the four development collections (Cranfield, CISI, CACM, SciFact) it measures
nDCG@10 with broadsheet-eval for a grid of settings, in three stages:

  bm25       title weight (index time: one index per value) x k1 x b
  proximity  the neighbouring-words bonus: weight x window
  expand     pseudo-relevance feedback: documents x terms x weight

For each held-out collection, each stage picks on the other three the setting
whose worst shortfall from each collection's own best is smallest (ties: the
higher mean), given the earlier stages' picks for that fold, and reports the
held-out collection's figures for the picks. The final setting is picked the
same way on all four. SciFact is tuned on its train split and reported on its
test split; the others have one query set.

Every measurement is cached (--cache), so a rerun or a finer grid only runs
what is new. Run from the project root after scripts/build (docs/relevance.md
has the figures these gave):

  nice eval/tune_ranking.py --work /tmp/tune --fine --stages bm25 > bm25.md
  nice eval/tune_ranking.py --work /tmp/tune --stages expand \
      --base '{"title": 4, "k1": 1.4, "b": 0.6, "proximity": 0, "expand": false}' > expand.md
  nice eval/tune_ranking.py --work /tmp/tune --stages proximity --base '...' > proximity.md
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ["cranfield", "cisi", "cacm", "scifact"]
METRICS = ["ndcg_cut_10", "map", "P_10", "recall_100", "p50_ms"]

# Coarse grids (the machine they were run on is small); --fine adds points
# around the coarse choice.
BM25_GRID = {"title": [1, 2, 3], "k1": [0.8, 1.2, 1.6, 2.0], "b": [0.5, 0.75, 0.9]}
FINE_BM25_GRID = {"title": [3, 4], "k1": [1.4, 1.6, 1.8], "b": [0.4, 0.6, 0.7]}
# The settings chosen on Cranfield and CISI alone, for the before/after table.
BEFORE = {"title": 3, "k1": 1.6, "b": 0.9, "proximity": 0, "expand": False}
PROXIMITY_GRID = {"proximity": [0.1, 0.25], "proximity_window": [2, 10]}
EXPAND_GRID = {"expand_documents": [10], "expand_terms": [10, 20], "expand_weight": [0.25, 0.5]}


def query_files(corpora, collection, split):
    folder = corpora / collection
    if collection == "scifact" and split == "tune":
        return folder / "queries-train.tsv", folder / "qrels-train.tsv"
    return folder / "queries.tsv", folder / "qrels.tsv"


class Runner:
    def __init__(self, build, corpora, work, cache_path):
        self.build, self.corpora, self.work = build, corpora, work
        self.cache_path = cache_path
        self.cache = {}
        self.lock = threading.Lock()
        if cache_path.exists():
            for line in cache_path.read_text().splitlines():
                key, values = line.split("\t", 1)
                self.cache[key] = json.loads(values)

    def index(self, collection, title):
        root = self.work / f"{collection}-title{title}"
        if (root / "CURRENT").exists() or any(root.glob("*")):
            return root
        schema_dir = self.work / f"schema-title{title}"
        if not schema_dir.exists():
            schema_dir.mkdir(parents=True)
            schema = json.loads((ROOT / "schema/articles.json").read_text())
            for field in schema["fields"]:
                if field["name"] == "title":
                    field["weight"] = title
            (schema_dir / "articles.json").write_text(json.dumps(schema, indent=1))
            shutil.copy(ROOT / "schema" / schema["synonyms"], schema_dir / schema["synonyms"])
        subprocess.run([str(self.build / "indexer/broadsheet-indexer"), "build", "--index", str(root), "--input",
                        str(self.corpora / collection / "corpus.jsonl"), "--schema",
                        str(schema_dir / "articles.json")], check=True, stdout=subprocess.DEVNULL)
        return root

    def measure(self, collection, split, setting):
        # Tuning compares nDCG@10, for which the first 100 results are as good
        # as 1000 and cost a tenth; reported figures (MAP, R@100) take 1000.
        depth = 100 if split == "tune" else 1000
        if collection != "scifact":
            split = "tune"  # one query set: tuning and reporting use the same
        key = json.dumps([collection, split, depth, sorted(setting.items())])
        with self.lock:
            if key in self.cache:
                return self.cache[key]
            index = self.index(collection, setting["title"])
        queries, qrels = query_files(self.corpora, collection, split)
        args = [str(self.build / "eval/broadsheet-eval"), "--index", str(index),
                "--queries", str(queries), "--qrels", str(qrels), "--op", "or", "--complete", "--depth", str(depth)]
        for name, value in sorted(setting.items()):
            if name == "title":
                continue
            if name == "expand":
                args.append("--expand" if value else "--no-expand")
            else:
                args += ["--" + name.replace("_", "-"), str(value)]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        result = {}
        for line in out.splitlines():
            name, _, value = line.partition("\t")
            if name in METRICS:
                result[name] = float(value)
        with self.lock:
            self.cache[key] = result
            with self.cache_path.open("a") as f:
                f.write(key + "\t" + json.dumps(result) + "\n")
        print(f"  {collection:9} {split:4} {depth:4} {setting} -> {result['ndcg_cut_10']:.4f}", file=sys.stderr)
        return result


def grid(base, axes):
    settings = [dict(base)]
    for name, values in axes.items():
        settings = [dict(s, **{name: v}) for s in settings for v in values]
    return settings


def pick(runner, settings, collections):
    """The setting with the smallest worst shortfall from each collection's best (ties: higher mean)."""
    with ThreadPoolExecutor(runner.jobs) as pool:
        list(pool.map(lambda job: runner.measure(job[0], "tune", job[1]),
                      [(c, s) for s in settings for c in collections]))
    scores = [[runner.measure(c, "tune", s)["ndcg_cut_10"] for c in collections] for s in settings]
    best = [max(row[i] for row in scores) for i in range(len(collections))]
    def key(i):
        shortfall = max(b - x for b, x in zip(best, scores[i]))
        return (round(shortfall, 4), -sum(scores[i]))
    chosen = min(range(len(settings)), key=key)
    return settings[chosen], key(chosen)[0]


def stage_settings(stage, base, fine):
    if stage == "bm25":
        axes = FINE_BM25_GRID if fine else BM25_GRID
        settings = grid({}, axes)
        if fine:
            settings += grid({}, BM25_GRID)
        return [dict(base, **s) for s in settings]
    off = {"proximity": 0} if stage == "proximity" else {"expand": False}
    if stage == "proximity":
        return [dict(base, **off)] + grid(dict(base), PROXIMITY_GRID)
    return [dict(base, **off)] + grid(dict(base, expand=True), EXPAND_GRID)


def describe(setting):
    return ", ".join(f"{k} {v}" for k, v in setting.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, default=ROOT / "build")
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared/corpora")
    parser.add_argument("--work", type=Path, required=True, help="indexes and the cache go here")
    parser.add_argument("--cache", type=Path, help="measurement cache (default WORK/cache.tsv)")
    parser.add_argument("--stages", default="bm25,proximity,expand")
    parser.add_argument("--fine", action="store_true", help="add the fine BM25 grid to the coarse one")
    parser.add_argument("--base", type=json.loads,
                        help="JSON setting every fold starts from (the bm25 stage left out of --stages)")
    parser.add_argument("--jobs", type=int, default=2, help="measurements run at once")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    runner = Runner(args.build, args.corpora, args.work, args.cache or args.work / "cache.tsv")
    runner.jobs = args.jobs
    stages = args.stages.split(",")

    folds = [(h, [c for c in COLLECTIONS if c != h]) for h in COLLECTIONS] + [("(all four)", COLLECTIONS)]
    print("| held out | stage | chosen on the other collections | worst shortfall there | held-out nDCG@10 | MAP | P@10 | R@100 |")
    print("|---|---|---|---|---|---|---|---|")
    final = {}
    for held_out, training in folds:
        setting = dict(args.base) if args.base else {"proximity": 0, "expand": False}
        for stage in stages:
            setting, shortfall = pick(runner, stage_settings(stage, setting, args.fine), training)
            if held_out in COLLECTIONS:
                m = runner.measure(held_out, "test", setting)
                print(f"| {held_out} | {stage} | {describe(setting)} | {shortfall:.4f} | {m['ndcg_cut_10']:.4f} "
                      f"| {m['map']:.4f} | {m['P_10']:.4f} | {m['recall_100']:.4f} |")
            else:
                print(f"| {held_out} | {stage} | {describe(setting)} | {shortfall:.4f} | | | | |")
        final = setting
    print()
    print(f"Final setting: {describe(final)}")
    print()
    print("| collection | before: nDCG@10 | MAP | P@10 | R@100 | after: nDCG@10 | MAP | P@10 | R@100 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in COLLECTIONS:
        b = runner.measure(c, "test", BEFORE)
        m = runner.measure(c, "test", final)
        print(f"| {c} | {b['ndcg_cut_10']:.4f} | {b['map']:.4f} | {b['P_10']:.4f} | {b['recall_100']:.4f} "
              f"| {m['ndcg_cut_10']:.4f} | {m['map']:.4f} | {m['P_10']:.4f} | {m['recall_100']:.4f} |")


if __name__ == "__main__":
    main()
