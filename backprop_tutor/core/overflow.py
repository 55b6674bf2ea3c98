"""Overflow as numbers, not warnings: inf and nan, which every caller reports by name (run: by
id, train: by parameter and epoch); numpy's own warnings would only add lines without a place."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import numpy as np

P = ParamSpec("P")
R = TypeVar("R")


def quietly(method: Callable[P, R]) -> Callable[P, R]:
    """`method` under np.errstate(all="ignore")."""

    @functools.wraps(method)
    def quiet(*args: P.args, **kwargs: P.kwargs) -> R:
        with np.errstate(all="ignore"):  # a fresh context per call: safe when calls nest
            return method(*args, **kwargs)

    return quiet
