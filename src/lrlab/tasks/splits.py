"""Deterministic stratified hold-out splits by index, independent of any training seed."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

SPLIT_SEED = 20240607
"""Seed of every data split. Fixed here, never the trial's seed, so that all trials of a
study see the same train, validation and test examples."""


def stratified_holdout(
    labels: np.ndarray, holdout_fraction: float, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Split the positions ``0..n-1`` into kept and held-out indices, stratified by label.

    Args:
        labels: class label of each example, shape ``(n,)``.
        holdout_fraction: share of examples held out, in ``(0, 1)``.
        seed: seed of the shuffle; default ``SPLIT_SEED``.

    Returns:
        ``(kept, held_out)``: disjoint sorted index arrays whose union is ``0..n-1``.
    """
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must lie in (0, 1); got {holdout_fraction}")
    positions = np.arange(len(labels))
    kept, held_out = train_test_split(
        positions, test_size=holdout_fraction, stratify=labels, random_state=seed
    )
    return np.sort(kept), np.sort(held_out)


def stratified_three_way(
    labels: np.ndarray,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = SPLIT_SEED,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split the positions ``0..n-1`` into train, validation and test indices, stratified.

    Args:
        labels: class label of each example, shape ``(n,)``.
        val_fraction: share of all examples in validation; default 0.2.
        test_fraction: share of all examples in test; default 0.2. The rest is train.
        seed: seed of the shuffles; default ``SPLIT_SEED``.

    Returns:
        ``(train, val, test)``: disjoint sorted index arrays whose union is ``0..n-1``.
    """
    if val_fraction <= 0 or test_fraction <= 0 or val_fraction + test_fraction >= 1:
        raise ValueError(
            "val_fraction and test_fraction must be positive with a sum below 1; "
            f"got {val_fraction} and {test_fraction}"
        )
    rest, test = stratified_holdout(labels, test_fraction, seed)
    train_in_rest, val_in_rest = stratified_holdout(
        labels[rest], val_fraction / (1.0 - test_fraction), seed
    )
    return rest[train_in_rest], rest[val_in_rest], test
