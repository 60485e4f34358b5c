"""The labelled routing data set (shared/data/routing-dev.jsonl) and stratified folds over it."""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_DATA = REPO.parent / "shared" / "data" / "routing-dev.jsonl"
TIERS = ("SIMPLE", "MODERATE", "COMPLEX", "EXPERT")


def load_items(path: Path | str = DEFAULT_DATA) -> list[dict]:
    """Each item: `request` (a chat completions body), `level` (0-3), `id`, `source`."""
    items = []
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        request = {"model": "auto", "messages": row["messages"]}
        if row.get("tools"):
            request["tools"] = row["tools"]
        items.append({"id": row["id"], "source": row["source"], "level": TIERS.index(row["tier"]), "request": request})
    return items


def stratified_folds(levels: list[int], k: int, seed: int) -> list[list[int]]:
    """k folds of indices, each level spread evenly; the same seed gives the same folds."""
    order = list(range(len(levels)))
    random.Random(seed).shuffle(order)
    folds: list[list[int]] = [[] for _ in range(k)]
    position = 0
    for level in sorted(set(levels)):
        for index in (i for i in order if levels[i] == level):
            folds[position % k].append(index)
            position += 1
    return folds
