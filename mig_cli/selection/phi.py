"""Concave information functions phi and their derivatives (diminishing returns)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Phi:
    """phi(x) applied elementwise; `kind` and (p1, p2) also drive the compiled kernel."""

    kind: int
    p1: float
    p2: float

    def value(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class PowPhi(Phi):
    """phi(x) = (x + a)^b, phi'(x) = b (x + a)^(b - 1)."""

    def __init__(self, a: float = 1e-6, b: float = 0.8) -> None:
        if not (math.isfinite(a) and a > 0) or not 0 < b < 1:
            raise ValueError("pow phi needs a finite a > 0 and 0 < b < 1")
        object.__setattr__(self, "kind", 0)
        object.__setattr__(self, "p1", float(a))
        object.__setattr__(self, "p2", float(b))

    def value(self, x):
        return (x + self.p1) ** self.p2

    def derivative(self, x):
        return self.p2 * (x + self.p1) ** (self.p2 - 1.0)


@dataclass(frozen=True)
class ExpPhi(Phi):
    """phi(x) = 1 - exp(-lam x), phi'(x) = lam exp(-lam x)."""

    def __init__(self, lam: float = 1.0) -> None:
        if not (math.isfinite(lam) and lam > 0):
            raise ValueError("exp phi needs a finite lambda > 0")
        object.__setattr__(self, "kind", 1)
        object.__setattr__(self, "p1", float(lam))
        object.__setattr__(self, "p2", 0.0)

    def value(self, x):
        return 1.0 - np.exp(-self.p1 * x)

    def derivative(self, x):
        return self.p1 * np.exp(-self.p1 * x)


PHIS = {"pow": PowPhi, "exp": ExpPhi}


def make_phi(name: str, *, a: float = 1e-6, b: float = 0.8, lam: float = 1.0) -> Phi:
    if name == "pow":
        return PowPhi(a, b)
    if name == "exp":
        return ExpPhi(lam)
    raise ValueError(f"unknown phi '{name}' (choose from {', '.join(PHIS)})")
