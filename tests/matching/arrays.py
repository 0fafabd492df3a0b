"""Plain-array needs and helpers for the pure tests: one row per keyword set."""

from typing import Any

import numpy as np

from coproduce.matching.scoring import Helpers, Needs, hour_words, keys

SKILLS_PER_CATEGORY = 10  # in these tests, skill s is in category s // 10
ALWAYS = [(d, 0, 1440) for d in range(7)]


def needs(*rows: dict[str, Any]) -> Needs:
    def col(name: str, default: Any, dtype: Any) -> Any:
        return np.array([r.get(name, default) for r in rows], dtype=dtype)

    skill = col("skill", 1, np.int64)
    xy = np.array([r.get("xy", (0.0, 0.0)) for r in rows], dtype=np.float64).reshape(-1, 2)
    return Needs(
        ids=np.arange(len(rows), dtype=np.int64),
        owner=col("owner", 10_000, np.int64),
        xy=xy,
        skill=skill,
        category=np.where(skill >= 0, skill // SKILLS_PER_CATEGORY, -1),
        remote=col("remote", False, np.bool_),
        hours=np.array([hour_words(r.get("windows", [(1, 540, 720)])) for r in rows]).reshape(
            -1, 3
        ),
        languages=col("languages", 1, np.uint64),
        access=col("access", 0, np.uint64),
        checked_only=col("checked_only", False, np.bool_),
        gender=col("gender", 0, np.int64),
    )


def helpers(*rows: dict[str, Any]) -> Helpers:
    def col(name: str, default: Any, dtype: Any) -> Any:
        return np.array([r.get(name, default) for r in rows], dtype=dtype)

    owner: list[int] = []
    codes: list[int] = []
    for i, r in enumerate(rows):
        for s in r.get("skills", [1]):
            owner.append(i)
            codes.append(s)
    xy = np.array([r.get("xy", (1.0, 0.0)) for r in rows], dtype=np.float64).reshape(-1, 2)
    return Helpers(
        ids=np.arange(len(rows), dtype=np.int64),
        xy=xy,
        travel_km=col("travel_km", 3.0, np.float64),
        remote=col("remote", False, np.bool_),
        skill_keys=keys(owner, codes),
        category_keys=keys(owner, [c // SKILLS_PER_CATEGORY for c in codes]),
        hours=np.array([hour_words(r.get("windows", [(1, 540, 720)])) for r in rows]).reshape(
            -1, 3
        ),
        languages=col("languages", 1, np.uint64),
        access=col("access", 0, np.uint64),
        checked=col("checked", False, np.bool_),
        gender=col("gender", 0, np.int64),
        balance=col("balance", 0, np.int64),
        given=col("given", 1, np.int64),
        rejected=col("rejected", 0, np.int64),
        asked=col("asked", 1, np.int64),
        capacity=col("capacity", 2, np.int64),
    )
