"""Keep MIG's arithmetic finite for scores near the float64 limit (1e308).

The state X sums propagated scores over the chosen records; with scores near 1e308 the sums
overflow to inf and the gains become inf or NaN, which silently changes the ranking. Instead of
refusing such pools, the sampler runs in a scaled domain that picks the same records:

- scores are multiplied by 2^-e (exact in binary floating point, barring underflow of tiny
  scores), so u' = 2^-e u and X' = 2^-e X exactly;
- pow phi runs with a' = 2^-e a: phi'(X') = b (X' + a')^(b-1) = 2^(-e(b-1)) phi'(X), so every
  gradient gain is 2^(-eb) times the unscaled one (and likewise every exact gain): the same
  order, so the same picks up to the rounding of pow;
- exp phi runs with lambda' = 2^e lambda: lambda' X' = lambda X exactly, so the gains are the
  unscaled gains exactly.

e is 0 (no scaling at all, bit-identical to the plain rule) unless the bound
sum_i s_i |L_i| on any X_j (P's entries are at most 1) exceeds 2^1000. Gains, I(D) and X are
reported back in the unscaled domain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .phi import ExpPhi, Phi, PowPhi

LIMIT_EXPONENT = 1000  # keep every sum below 2^1000 (float64 overflows at 2^1024)


@dataclass(frozen=True)
class Scale:
    """Scores are multiplied by 2^-exponent before propagation."""

    exponent: int = 0

    def scores(self, scores: np.ndarray) -> np.ndarray:
        return np.ldexp(scores, -self.exponent) if self.exponent else scores

    def phi(self, phi: Phi) -> Phi:
        if not self.exponent:
            return phi
        if phi.kind == 0:
            return PowPhi(math.ldexp(phi.p1, -self.exponent), phi.p2)
        lam = math.ldexp(phi.p1, self.exponent)
        if not math.isfinite(lam):
            raise ValueError("scores and lambda together exceed the float64 range")
        return ExpPhi(lam)

    def gain_factor(self, phi: Phi) -> float:
        """Multiply a scaled gain (or information) by this to get the unscaled one."""
        if not self.exponent or phi.kind != 0:
            return 1.0
        return 2.0 ** (self.exponent * phi.p2)

    def unscale(self, values: np.ndarray | float, phi: Phi) -> np.ndarray | float:
        """Scaled gains (or information) back in the unscaled domain, without overflow warnings.

        A value whose unscaled size exceeds the float64 range (a gradient gain of a record
        scored near 1e308 can: phi'(a) > 1 for pow phi) is clipped to the largest float64
        (about 1.8e308), so gains are reported as numbers, never inf or null; the order of the
        picks is unchanged (it is decided in the scaled domain).
        """
        factor = self.gain_factor(phi)
        if factor == 1.0:
            return values
        top = np.finfo(np.float64).max
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.minimum(np.asarray(values, dtype=np.float64) * factor, top)
        return float(out) if np.ndim(values) == 0 else out

    def state(self, x: np.ndarray) -> np.ndarray:
        """X in the unscaled domain (entries beyond the float64 range become inf)."""
        if not self.exponent:
            return x
        with np.errstate(over="ignore"):
            return np.ldexp(x, self.exponent)


def scale_for(*parts: tuple[np.ndarray, np.ndarray]) -> Scale:
    """The scale for records given as (scores, labels per record) arrays, together."""
    top = 0.0
    for scores, _ in parts:
        if len(scores):
            top = max(top, float(np.max(scores)))
    if top == 0.0 or not math.isfinite(top):
        return Scale()
    relative = 0.0
    for scores, counts in parts:
        relative += float(np.dot(scores / top, np.asarray(counts, dtype=np.float64)))
    needed = math.frexp(top)[1] + math.frexp(max(relative, 1.0))[1]  # log2 of the bound, up
    return Scale(max(0, needed - LIMIT_EXPONENT))
