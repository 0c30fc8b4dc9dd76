"""The two real seed reports, copied from ../shared/seeds so that the tests stand alone."""

from __future__ import annotations

from pathlib import Path

SEEDS = Path(__file__).resolve().parent / "seeds"
SEED_001 = SEEDS / "001_79b251f09d75b86e.txt"
SEED_004 = SEEDS / "004_80bb52f189504312.txt"
