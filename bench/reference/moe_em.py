#!/usr/bin/env python3
"""Reference EM for the softmax-gated Gaussian mixture of experts, in numpy/scipy.

An implementation independent of otmoe's TypeScript, used to check otmoe's fits from outside. The model is

    f(y | x) = sum_k pi_k(x) N(y; beta_k' x~, sigma_k^2),   pi_k(x) = softmax_k(alpha' x~),   alpha_K = 0,

with x~ = (1, x')'. Unlike otmoe's generalized EM, every M-step here maximizes the gate objective to
convergence by full Newton-Raphson. The starts mix k-means and random initializations. The default
tolerance is tight (1e-10 relative change of the log-likelihood), so the best start ends close to a local maximum.

Usage:
    python3 bench/reference/moe_em.py --train F.csv --test T.csv --target y --features x1,x2,x3 \
        --K 3 --starts 10 --seed 0

Prints one JSON object: train_loglik (of the output model), train_loglik_standardized_fit (the same value
computed on standardized covariates during the fit), test_loglik (null without --test), seconds (wall time of
the fit, all starts), iterations of the best start, starts_loglik (the final log-likelihood of every start),
and model, a model file in otmoe's format
("otmoe-model/1": (d+1) x K arrays, row 0 the intercept, experts sorted by ascending intercept, last gate
column 0), so that `otmoe evaluate --model` can read it.
"""

import argparse
import json
import os
import sys
import time

# BLAS threads do not pay off for products of (d+1) x n matrices, and on a busy machine they made every product
# several times slower. The limit must be set before numpy loads BLAS, and an explicit setting wins.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402
from scipy.cluster.vq import kmeans2  # noqa: E402
from scipy.linalg import LinAlgError, cho_factor, cho_solve  # noqa: E402

LOG_2PI = np.log(2.0 * np.pi)

# Weight of the hard k-means labels in the smoothed labels of an initialization. Labels strictly inside (0, 1)
# keep the initial gate fit finite, because hard k-means groups are linearly separable.
INIT_LABEL_WEIGHT = 0.9


def read_csv(path, columns):
    """Read the named columns of a numeric CSV with a header row into an array of shape (n, len(columns))."""
    with open(path, encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    missing = [name for name in columns if name not in header]
    if missing:
        raise SystemExit(f"error: {path} has no column(s) {', '.join(missing)}; its columns are {', '.join(header)}.")

    indices = [header.index(name) for name in columns]
    values = np.loadtxt(path, delimiter=",", skiprows=1, usecols=indices, ndmin=2, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise SystemExit(f"error: {path} contains missing or non-finite values in columns {', '.join(columns)}.")
    return values


def design_matrix(x):
    """Covariates with an intercept row, one column per observation: (n, d) -> (d+1, n).

    Every per-observation array in this file is stored component-major, (K, n) or (d+1, n), because numpy
    reduces over a short leading axis much faster than over a short trailing one.
    """
    return np.vstack([np.ones((1, x.shape[0])), x.T])


def log_sum_exp(values):
    """log sum_k exp(values[k, i]) over axis 0 of a (K, n) array, stabilized by the column maximum; returns (n,)."""
    largest = values.max(axis=0)
    return largest + np.log(np.exp(values - largest).sum(axis=0))


# ---------------------------------------------------------------------------------------------------------------
# Densities


def log_gates(design, gates):
    """log pi_k(x_i) for design (d+1, n) and gates (d+1, K); returns (K, n)."""
    linear = gates.T @ design
    return linear - log_sum_exp(linear)


def log_joint(design, y, gates, experts, variances):
    """log pi_k(x_i) + log N(y_i; beta_k' x~_i, sigma_k^2) for design (d+1, n), y (n,); returns (K, n)."""
    residuals = y - experts.T @ design
    log_normal = -0.5 * (LOG_2PI + np.log(variances)[:, None] + residuals**2 / variances[:, None])
    return log_gates(design, gates) + log_normal


def log_likelihood(design, y, gates, experts, variances):
    """Observed-data log-likelihood sum_i log f(y_i | x_i)."""
    return float(log_sum_exp(log_joint(design, y, gates, experts, variances)).sum())


# ---------------------------------------------------------------------------------------------------------------
# M-step


def fit_gates(design, targets, gates, max_steps=100):
    """Maximize Q(alpha) = sum_ik t_ik log pi_k(x_i; alpha) over the first K-1 gate columns by Newton-Raphson.

    design: (d+1, n); targets: (K, n), columns summing to 1; gates: (d+1, K) start, last column 0.
    Takes full Newton steps, halving a step until Q does not decrease, and stops after the step whose
    Newton decrement g' H^-1 g / 2 (the predicted gain) is below 1e-12 (1 + |Q|).
    Returns the new gates (d+1, K) with last column 0.
    """
    p, K = gates.shape
    free = K - 1
    gates = gates.copy()
    if free == 0:
        return gates

    log_probabilities = log_gates(design, gates)
    value = float(np.sum(targets * log_probabilities))
    for _ in range(max_steps):
        probabilities = np.exp(log_probabilities)

        # Gradient row k: sum_i (t_ik - pi_ik) x~_i, shape (K-1, d+1), flattened row by row.
        gradient = ((targets[:free] - probabilities[:free]) @ design.T).ravel()

        # Negative Hessian block (k, l): sum_i pi_ik (delta_kl - pi_il) x~_i x~_i', shape ((K-1)(d+1))^2.
        information = np.empty((free * p, free * p))
        for k in range(free):
            for l in range(k, free):
                weights = probabilities[k] * ((k == l) - probabilities[l])
                block = (design * weights) @ design.T
                information[k * p:(k + 1) * p, l * p:(l + 1) * p] = block
                information[l * p:(l + 1) * p, k * p:(k + 1) * p] = block.T

        try:
            step = cho_solve(cho_factor(information), gradient)
        except LinAlgError:
            step = np.linalg.lstsq(information, gradient, rcond=None)[0]
        decrement = 0.5 * float(gradient @ step)
        converged = decrement < 1e-12 * (1.0 + abs(value))

        # Step halving: accept the first step length that does not decrease Q. Near the maximum the
        # predicted gain is at rounding level, so a full step that loses no more than rounding is accepted.
        slack = 1e-13 * (1.0 + abs(value)) if converged else 0.0
        length = 1.0
        accepted = False
        while length > 1e-10:
            candidate = gates.copy()
            candidate[:, :free] += length * step.reshape((free, p)).T
            candidate_log = log_gates(design, candidate)
            candidate_value = float(np.sum(targets * candidate_log))
            if candidate_value >= value - slack:
                accepted = True
                break
            if converged:
                break
            length /= 2.0
        if accepted:
            gates, log_probabilities, value = candidate, candidate_log, candidate_value
        if converged or not accepted:
            break

    return gates


def fit_experts(design, y, responsibilities, variance_floor):
    """Weighted least squares per expert.

    design: (d+1, n); y: (n,); responsibilities: (K, n). Returns experts (d+1, K) and variances (K,),
    each variance at least variance_floor.
    """
    p = design.shape[0]
    K = responsibilities.shape[0]
    experts = np.empty((p, K))
    variances = np.empty(K)

    for k in range(K):
        weights = responsibilities[k]
        weighted = design * weights
        gram = weighted @ design.T
        moment = weighted @ y
        try:
            experts[:, k] = cho_solve(cho_factor(gram), moment)
        except LinAlgError:
            experts[:, k] = np.linalg.lstsq(gram, moment, rcond=None)[0]

        # sigma_k^2 = sum_i tau_ik (y_i - beta_k' x~_i)^2 / sum_i tau_ik
        residuals = y - experts[:, k] @ design
        variances[k] = max(float(weights @ residuals**2) / max(float(weights.sum()), 1e-300), variance_floor)

    return experts, variances


# ---------------------------------------------------------------------------------------------------------------
# Starts and EM loop


def initial_labels(kind, x, y, K, rng):
    """Hard labels (n,) of one start: k-means on x, k-means on (x, y), or nearest of K random rows in (x, y).

    x: (n, d), standardized; y: (n,).
    """
    scaled_y = (y - y.mean()) / y.std()
    points = np.hstack([x, scaled_y[:, None]])

    if kind == "kmeans-x":
        _, labels = kmeans2(x, K, minit="++", seed=rng)
    elif kind == "kmeans-xy":
        _, labels = kmeans2(points, K, minit="++", seed=rng)
    else:
        centers = points[rng.choice(points.shape[0], size=K, replace=False)]
        labels = np.argmin(((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2), axis=1)
    return labels


def initialize(kind, x, y, K, variance_floor, rng):
    """Starting gates, experts and variances from smoothed hard labels; x: (n, d) standardized."""
    labels = initial_labels(kind, x, y, K, rng)
    targets = np.full((K, x.shape[0]), (1.0 - INIT_LABEL_WEIGHT) / K)
    targets[labels, np.arange(x.shape[0])] += INIT_LABEL_WEIGHT

    design = design_matrix(x)
    gates = fit_gates(design, targets, np.zeros((design.shape[0], K)))
    experts, variances = fit_experts(design, y, targets, variance_floor)
    return gates, experts, variances


def run_em(design, y, start, variance_floor, tolerance, max_iterations):
    """EM from one start until the relative log-likelihood change is below tolerance.

    Returns (gates, experts, variances, log-likelihood, iterations, largest relative decrease seen).
    """
    gates, experts, variances = start
    joint = log_joint(design, y, gates, experts, variances)
    log_density = log_sum_exp(joint)
    loglik = float(log_density.sum())
    largest_decrease = 0.0

    iteration = 0
    for iteration in range(1, max_iterations + 1):
        # E-step: tau_ik = pi_ik N_ik / f_i.
        responsibilities = np.exp(joint - log_density)

        # M-step: gates to convergence, then the experts in closed form.
        gates = fit_gates(design, responsibilities, gates)
        experts, variances = fit_experts(design, y, responsibilities, variance_floor)

        joint = log_joint(design, y, gates, experts, variances)
        log_density = log_sum_exp(joint)
        previous, loglik = loglik, float(log_density.sum())
        change = (loglik - previous) / abs(previous)
        largest_decrease = max(largest_decrease, -change)
        if abs(change) < tolerance:
            break

    return gates, experts, variances, loglik, iteration, largest_decrease


# ---------------------------------------------------------------------------------------------------------------
# Scale and order of the output


def to_original_scale(coefficients, mean, scale):
    """Map (d+1, K) coefficients fitted on standardized x back: slopes / s_j, intercept - sum_j mu_j slope_j / s_j."""
    slopes = coefficients[1:, :] / scale[:, None]
    intercepts = coefficients[0, :] - mean @ slopes
    return np.vstack([intercepts, slopes])


def canonical_order(gates, experts, variances):
    """Sort experts by ascending intercept (ties: variance), permute the gates alike, re-zero the last gate column."""
    order = np.lexsort((variances, experts[0, :]))
    gates = gates[:, order]
    gates = gates - gates[:, [-1]]
    return gates, experts[:, order], variances[order]


def fit(x, y, K, starts, seed, tolerance, max_iterations, log):
    """Fit by EM from `starts` starts on standardized x; returns the best fit on the original scale."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    constant = np.flatnonzero(scale == 0)
    if constant.size:
        raise SystemExit(f"error: feature column(s) {constant.tolist()} are constant; drop them from --features.")
    standardized = (x - mean) / scale
    design = design_matrix(standardized)
    variance_floor = 1e-6 * float(y.var())

    kinds = ["kmeans-x", "kmeans-xy", "random-rows"]
    generators = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(starts)]
    best = None
    finals = []
    for s in range(starts):
        kind = kinds[s % len(kinds)]
        start = initialize(kind, standardized, y, K, variance_floor, generators[s])
        gates, experts, variances, loglik, iterations, decrease = run_em(design, y, start, variance_floor, tolerance, max_iterations)
        finals.append(loglik)
        log(f"start {s + 1}/{starts} ({kind}): log-likelihood {loglik:.6f} after {iterations} iterations")
        if decrease > 1e-12:
            log(f"warning: start {s + 1}: log-likelihood decreased by a relative {decrease:.3e} in one iteration")
        if best is None or loglik > best[3]:
            best = (gates, experts, variances, loglik, iterations)

    gates, experts, variances, loglik, iterations = best
    gates = to_original_scale(gates, mean, scale)
    experts = to_original_scale(experts, mean, scale)
    gates, experts, variances = canonical_order(gates, experts, variances)
    return gates, experts, variances, loglik, iterations, finals


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Fit a softmax-gated Gaussian mixture of experts by EM (numpy/scipy reference).")
    parser.add_argument("--train", required=True, help="training CSV with a header row")
    parser.add_argument("--test", help="test CSV with the same columns (optional)")
    parser.add_argument("--target", required=True, help="response column")
    parser.add_argument("--features", required=True, help="comma-separated covariate columns")
    parser.add_argument("--K", type=int, required=True, help="number of experts")
    parser.add_argument("--starts", type=int, default=10, help="number of EM starts, the best is kept (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the starts (default 0)")
    parser.add_argument("--tol", type=float, default=1e-10, help="relative log-likelihood change that stops EM (default 1e-10)")
    parser.add_argument("--max-iter", type=int, default=20000, help="maximum EM iterations per start (default 20000)")
    parser.add_argument("--quiet", action="store_true", help="do not log the starts to stderr")
    arguments = parser.parse_args(argv)
    if arguments.K < 1:
        parser.error(f"--K must be >= 1 but got {arguments.K}")
    if arguments.starts < 1:
        parser.error(f"--starts must be >= 1 but got {arguments.starts}")
    return arguments


def main(argv=None):
    arguments = parse_arguments(argv)
    features = [name.strip() for name in arguments.features.split(",") if name.strip()]
    log = (lambda message: None) if arguments.quiet else (lambda message: print(message, file=sys.stderr))

    train = read_csv(arguments.train, features + [arguments.target])
    x, y = train[:, :-1], train[:, -1]
    if x.shape[0] < arguments.K * (x.shape[1] + 1):
        raise SystemExit(f"error: {x.shape[0]} training rows are too few for K = {arguments.K} experts with {x.shape[1]} features.")

    started = time.perf_counter()
    gates, experts, variances, train_loglik, iterations, finals = fit(x, y, arguments.K, arguments.starts, arguments.seed, arguments.tol, arguments.max_iter, log)
    seconds = time.perf_counter() - started

    # The returned model is on the original scale, so its training log-likelihood is recomputed as a check.
    train_check = log_likelihood(design_matrix(x), y, gates, experts, variances)
    test_loglik = None
    if arguments.test:
        test = read_csv(arguments.test, features + [arguments.target])
        test_loglik = log_likelihood(design_matrix(test[:, :-1]), test[:, -1], gates, experts, variances)

    output = {
        "train_loglik": train_check,
        "train_loglik_standardized_fit": train_loglik,
        "test_loglik": test_loglik,
        "seconds": seconds,
        "iterations": iterations,
        "starts_loglik": finals,
        "model": {
            "format": "otmoe-model/1",
            "K": arguments.K,
            "d": len(features),
            "features": features,
            "gates": gates.tolist(),
            "experts": experts.tolist(),
            "variances": variances.tolist(),
            "n": int(x.shape[0]),
        },
    }
    print(json.dumps(output, indent=1))


if __name__ == "__main__":
    main()
