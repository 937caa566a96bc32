"""Special functions in log space for the customer-base models.

Everything here works on numpy arrays and stays finite where the textbook formulas overflow:

* :func:`log1mexp` -- ``log(1 - exp(x))`` for ``x <= 0`` without cancellation.
* :func:`log_hyp2f1_one` -- ``log 2F1(1, b; c; z)`` for ``0 <= z < 1`` and ``c - b > 0`` by Gauss's
  continued fraction.  This is the only hypergeometric function the Pareto/NBD likelihood needs once
  Euler's transformation has been applied (see :func:`log_pnbd_tail`), and it is a Stieltjes
  (Markov) function, ``2F1(1, b; c; z) = E[1 / (1 - z U)]`` with ``U ~ Beta(b, c - b)``, so it lies in
  ``[1, 1 / (1 - z)]``: its logarithm never overflows.  The continued fraction converges
  geometrically with ratio ``((1 - sqrt(1 - z)) / (1 + sqrt(1 - z)))**2`` even close to ``z = 1``,
  where the power series needs thousands of terms; each element gets the depth its own ``z``
  needs, chosen for a relative error of about 1e-16.
* :func:`log_pnbd_tail` -- ``log of int_tau^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du``, the building
  block of the Pareto/NBD likelihood, P(alive) and conditional expectations.
"""

from __future__ import annotations

import numpy as np

__all__ = ["log1mexp", "log_hyp2f1_one", "log_pnbd_tail", "log_pnbd_window", "logaddexp", "softplus_expit"]

_LOG_TOL = np.log(1e-17)
_MAX_DEPTH = 5000


def log1mexp(x):
    """Return ``log(1 - exp(x))`` for ``x <= 0`` accurately (Maechler 2012).

    ``x == 0`` gives ``-inf``; positive inputs (rounding noise) are treated as 0.
    """
    x = np.minimum(np.asarray(x, dtype=float), 0.0)
    with np.errstate(divide="ignore"):
        return np.where(x > -np.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` for finite ``a`` and ``b`` that may be ``-inf``.

    Same result as :func:`numpy.logaddexp`, several times faster on large arrays (one ``exp`` and
    one ``log1p``, both vectorised).
    """
    with np.errstate(invalid="ignore"):
        return np.maximum(a, b) + np.log1p(np.exp(-np.abs(np.subtract(a, b))))


def softplus_expit(d):
    """``log(1 + exp(d))`` and ``1 / (1 + exp(-d))`` from a single ``exp`` (d may be ``-inf``)."""
    d = np.asarray(d, dtype=float)
    e = np.exp(-np.abs(d))
    softplus = np.maximum(d, 0.0) + np.log1p(e)
    expit = np.where(d >= 0, 1.0, e) / (1.0 + e)
    return softplus, expit


def _cf_depth(z):
    """Number of continued-fraction levels giving ~1e-17 relative error at each ``z``."""
    sq = np.sqrt(1.0 - z)
    rho = (z / (1.0 + sq) ** 2) ** 2  # ((1 - sqrt(1-z)) / (1 + sqrt(1-z)))**2 without cancellation
    with np.errstate(divide="ignore"):
        levels = 2.0 * _LOG_TOL / np.log(rho)  # rho < 1, so both logs are negative
    levels = np.where(z > 0, levels, 0.0)
    return np.minimum(np.ceil(levels) + 4, _MAX_DEPTH).astype(np.int64)


def log_hyp2f1_one(b, c, z, *, grad: bool = False):
    """Logarithm of the Gauss hypergeometric function ``2F1(1, b; c; z)``.

    Parameters
    ----------
    b, c : array_like
        Parameters with ``b > 0`` and ``c - b > 0``.
    z : array_like
        Argument in ``[0, 1)``.
    grad : bool
        Also return the partial derivatives of the logarithm with respect to ``b``, ``c`` and ``z``.

    Returns
    -------
    numpy.ndarray, or a tuple of four
        ``log 2F1(1, b; c; z)``, broadcast over the inputs; with ``grad``, followed by its
        derivatives in ``b``, ``c`` and ``z``.

    Notes
    -----
    Gauss's continued fraction for ``2F1(a, b+1; c+1; z) / 2F1(a, b; c; z)`` with ``a = 0`` gives
    ``2F1(1, b; c; z) = 1 / (1 - k1 z / (1 - k2 z / (1 - ...)))`` with positive coefficients
    ``k_{2n+1} = (c-1+n)(b+n) / ((c-1+2n)(c+2n))`` and ``k_{2n} = (c-1-b+n) n / ((c-2+2n)(c-1+2n))``.
    It is evaluated backwards from a depth chosen per element; sorting the elements by depth lets
    each level update a prefix of the arrays, so the cost is the sum of the depths.  The
    derivatives are carried through the same recursion (forward-mode differentiation of
    ``f_m = 1 - k_m z / f_{m+1}``), so they are those of the value computed, to rounding.
    """
    b, c, z = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(b, c, z))
    shape = z.shape
    b, c, z = b.ravel(), c.ravel(), z.ravel()
    depth = _cf_depth(z)
    order = np.argsort(-depth, kind="stable")
    bs, cs, zs, ds = b[order], c[order], z[order], depth[order]
    f = np.ones_like(zs)
    if grad:
        gb, gc, gz = np.zeros_like(zs), np.zeros_like(zs), np.zeros_like(zs)
    if ds.size and ds[0] > 0:
        # active[m] = number of elements whose depth is at least m (a prefix after sorting)
        active = np.searchsorted(-ds, -np.arange(ds[0] + 1), side="right")
        cm1 = cs - 1.0
        for m in range(int(ds[0]), 0, -1):
            k = active[m]
            if m % 2:
                n = (m - 1) // 2
                u, p, q = cm1[:k] + n, cm1[:k] + 2 * n, cs[:k] + 2 * n
                v = bs[:k] + n
                coef = u * v / (p * q)
                if grad:
                    dcoef_b = coef / v
            else:
                n = m // 2
                u, p, q = cm1[:k] - bs[:k] + n, cs[:k] + 2 * n - 2, cs[:k] + 2 * n - 1
                coef = u * n / (p * q)
                if grad:
                    dcoef_b = -coef / u
            if grad:
                # d f_m = -(dk z + k dz) / f_{m+1} + k z d f_{m+1} / f_{m+1}^2
                dcoef_c = coef * (1.0 / u - 1.0 / p - 1.0 / q)
                fk, zk = f[:k], zs[:k]
                kz_ff = coef * zk / (fk * fk)
                gb[:k] = kz_ff * gb[:k] - dcoef_b * zk / fk
                gc[:k] = kz_ff * gc[:k] - dcoef_c * zk / fk
                gz[:k] = kz_ff * gz[:k] - coef / fk
            f[:k] = 1.0 - coef * zs[:k] / f[:k]
    out = np.empty_like(f)
    out[order] = -np.log(f)
    if not grad:
        return out.reshape(shape)
    derivs = []
    for g in (gb, gc, gz):
        d = np.empty_like(f)
        d[order] = -g / f  # log 2F1 = -log f_1
        derivs.append(d.reshape(shape))
    return (out.reshape(shape), *derivs)


def log_pnbd_tail(r, alpha, s, beta, x, tau, *, grad: bool = False):
    """``log J(tau)`` with ``J(tau) = int_tau^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du``.

    Parameters
    ----------
    r, alpha, s, beta : float
        Pareto/NBD parameters (all positive).
    x, tau : array_like
        Repeat purchases and the lower limit of the integral (``tau >= 0``).
    grad : bool
        Also return the derivatives of ``log J`` with respect to ``r, alpha, s, beta``.

    Returns
    -------
    numpy.ndarray, or a tuple of it and an array of shape ``(4, *x.shape)``
        ``log J(tau)`` (and its gradient).

    Notes
    -----
    With ``m = max(alpha, beta)``, ``a = r + s + x`` and ``z = |alpha - beta| / (m + tau)``,
    ``J = 2F1(a, b; a+1; z) / (a (m + tau)^a)`` where ``b = s + 1`` if ``alpha >= beta`` and
    ``b = r + x`` otherwise (Fader and Hardie 2005, "A note on deriving the Pareto/NBD model and
    related expressions", eq. 18, where ``A_0 = (r+s+x) (J(t_x) - J(T))``).  Euler's transformation
    ``2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z)`` removes the factor that overflows for
    large ``x``; the remaining function is bounded and computed by :func:`log_hyp2f1_one`.
    """
    x = np.asarray(x, dtype=float)
    tau = np.asarray(tau, dtype=float)
    a = r + s + x
    swap = alpha < beta
    if swap:
        hi, lo, b = beta, alpha, r + x
    else:
        hi, lo, b = alpha, beta, s + 1.0
    log_hi = np.log(hi + tau)
    log_ratio = np.log((lo + tau) / (hi + tau))  # log(1 - z)
    z = (hi - lo) / (hi + tau)
    parts = log_hyp2f1_one(a + 1.0 - b, a + 1.0, z, grad=grad)
    if not grad:
        return -np.log(a) - a * log_hi + (1.0 - b) * log_ratio + parts
    L, Lb, Lc, Lz = parts
    value = -np.log(a) - a * log_hi + (1.0 - b) * log_ratio + L
    # a = r + s + x; the continued fraction's parameters are b' = a + 1 - b and c' = a + 1, i.e.
    # b' = r + x (alpha >= beta) or s + 1 (alpha < beta)
    common = -1.0 / a - log_hi + Lc  # the part of d/dr and d/ds through a and c'
    inv_hi, inv_lo = 1.0 / (hi + tau), 1.0 / (lo + tau)
    d_hi = -a * inv_hi - (1.0 - b) * inv_hi + Lz * (lo + tau) * inv_hi ** 2
    d_lo = (1.0 - b) * inv_lo - Lz * inv_hi
    if swap:  # hi = beta, lo = alpha; b = r + x (so d/dr gets -log_ratio), b' = s + 1
        d_r, d_s = common - log_ratio, common + Lb
        d_alpha, d_beta = d_lo, d_hi
    else:  # hi = alpha, lo = beta; b = s + 1, b' = r + x
        d_r, d_s = common + Lb, common - log_ratio
        d_alpha, d_beta = d_hi, d_lo
    return value, np.stack(np.broadcast_arrays(d_r, d_alpha, d_s, d_beta))


def log_pnbd_window(r, alpha, s, beta, x, t_x, T, *, grad: bool = False):
    """``log int_{t_x}^{T} (alpha+u)^-(r+x) (beta+u)^-(s+1) du`` (``-inf`` where ``t_x == T``).

    With ``grad``, also its derivatives with respect to ``r, alpha, s, beta`` (shape ``(4, n)``;
    0 where the window is empty)."""
    if not grad:
        lo = log_pnbd_tail(r, alpha, s, beta, x, t_x)
        hi = log_pnbd_tail(r, alpha, s, beta, x, T)
        return lo + log1mexp(hi - lo)
    lo, d_lo = log_pnbd_tail(r, alpha, s, beta, x, t_x, grad=True)
    hi, d_hi = log_pnbd_tail(r, alpha, s, beta, x, T, grad=True)
    # log(J_lo - J_hi): its derivative is (dlog J_lo - rho dlog J_hi) / (1 - rho), rho = J_hi / J_lo
    rho = np.exp(np.minimum(hi - lo, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(rho < 1.0, (d_lo - rho * d_hi) / (1.0 - rho), 0.0)
    return lo + log1mexp(hi - lo), d
