"""Chapter 4: learning the low-rank denoiser c V V^T x_t is PCA (course_utils/pca.py)."""

import numpy as np
import pytest

import course_utils as cu
from course_utils.linear import gaussian_denoiser_matrix
from course_utils.pca import (
    _batch_gradient,
    denoising_loss,
    denoising_loss_from_moment,
    expected_denoising_loss,
    learn_subspace,
    linear_mmse,
    pca,
    principal_angles,
    random_orthonormal,
    restricted_min_loss,
    second_moment,
    shrinkage,
)


def low_rank_data(D=8, P=2, n=4000, seed=0):
    rng = np.random.default_rng(seed)
    U = random_orthonormal(D, P, rng)
    X = rng.standard_normal((n, P)) @ U.T
    return U, X


def spectrum_data(eigs, n=4000, seed=0):
    """x ~ N(0, Q diag(eigs) Q^T) with a random rotation Q."""
    rng = np.random.default_rng(seed)
    D = len(eigs)
    Q = random_orthonormal(D, D, rng)
    X = (rng.standard_normal((n, D)) * np.sqrt(eigs)) @ Q.T
    return Q, X


# -- package exports ----------------------------------------------------------------------
def test_exports():
    assert cu.pca is pca and cu.learn_subspace is learn_subspace
    assert cu.principal_angles is principal_angles


# -- pca ------------------------------------------------------------------------------------
def test_pca_orthonormal_and_spans_top_eigenvectors_of_second_moment():
    Q, X = spectrum_data([5.0, 3.0, 1.0, 0.5, 0.1], seed=1)
    V, lam = pca(X, 2, return_eigenvalues=True)
    assert V.shape == (5, 2)
    np.testing.assert_allclose(V.T @ V, np.eye(2), atol=1e-12)
    M = second_moment(X)
    np.testing.assert_allclose(M @ V, V * lam[:2], atol=1e-10)  # eigenvectors, top-2 values
    assert np.all(np.diff(lam) <= 0)
    np.testing.assert_allclose(lam, np.sort(np.linalg.eigvalsh(M))[::-1], atol=1e-10)


def test_pca_uses_second_moment_not_covariance():
    # Data with a large mean along e1 and its spread along e2: E[x x^T] picks e1,
    # the covariance (centred PCA) would pick e2.
    rng = np.random.default_rng(2)
    X = np.zeros((3000, 3))
    X[:, 0] = 3.0
    X[:, 1] = rng.standard_normal(3000)
    V = pca(X, 1)
    assert abs(V[0, 0]) > 0.999
    Xc = X - X.mean(axis=0)
    Vc = pca(Xc, 1)
    assert abs(Vc[1, 0]) > 0.999


def test_pca_sign_convention_and_determinism():
    _, X = spectrum_data([4.0, 2.0, 1.0], seed=3)
    V1 = pca(X, 3)
    V2 = pca(X.copy(), 3)
    np.testing.assert_array_equal(V1, V2)
    idx = np.argmax(np.abs(V1), axis=0)
    assert np.all(V1[idx, np.arange(3)] > 0)
    # flipping the data's sign does not change E[x x^T], nor the basis
    np.testing.assert_allclose(pca(-X, 3), V1, atol=1e-10)


@pytest.mark.parametrize(
    "X, p, match",
    [
        (np.ones((5, 3)), 4, "p must be <= D"),
        (np.ones((5, 3)), 0, "p must be >= 1"),
        (np.ones((5, 3)), 1.5, "p must be an integer"),
        (np.ones(5), 1, "X must be 2-D"),
        (np.array([[1.0, np.nan]]), 1, "finite"),
    ],
)
def test_pca_validation(X, p, match):
    with pytest.raises(ValueError, match=match):
        pca(X, p)


# -- principal angles -----------------------------------------------------------------------
def test_principal_angles_known_example():
    U = np.eye(4)[:, :2]
    V = np.array([[1 / np.sqrt(2), 0], [0, 0.5], [1 / np.sqrt(2), 0], [0, np.sqrt(3) / 2]])
    np.testing.assert_allclose(principal_angles(U, V), [np.pi / 4, np.pi / 3], atol=1e-12)
    np.testing.assert_allclose(principal_angles(V, U), [np.pi / 4, np.pi / 3], atol=1e-12)


def test_principal_angles_extremes_and_shapes():
    U = random_orthonormal(6, 3, np.random.default_rng(4))
    assert np.all(principal_angles(U, U) < 1e-7)
    # a rotated copy of the basis spans the same subspace
    R = random_orthonormal(3, 3, np.random.default_rng(5))
    assert np.all(principal_angles(U, U @ R) < 1e-7)
    np.testing.assert_allclose(principal_angles(np.eye(3)[:, :1], np.eye(3)[:, 1:]), [np.pi / 2])
    assert principal_angles(U, U[:, :1]).shape == (1,)
    a = principal_angles(U, random_orthonormal(6, 2, np.random.default_rng(6)))
    assert a.shape == (2,) and np.all(np.diff(a) >= 0) and np.all((a >= 0) & (a <= np.pi / 2))


def test_principal_angles_small_angle_accuracy():
    # arccos of the cosine would return 0 (or ~1e-8 of error) for an angle of 1e-10.
    for theta in (1e-10, 1e-6, 1e-3):
        U = np.array([[1.0], [0.0], [0.0]])
        V = np.array([[np.cos(theta)], [np.sin(theta)], [0.0]])
        np.testing.assert_allclose(principal_angles(U, V), [theta], rtol=1e-6)


def test_principal_angles_validation():
    U = np.eye(3)[:, :2]
    with pytest.raises(ValueError, match="orthonormal"):
        principal_angles(U, np.ones((3, 1)))
    with pytest.raises(ValueError, match="rows"):
        principal_angles(U, np.eye(4)[:, :1])


# -- the denoising loss (fact 8) ------------------------------------------------------------
def test_conditioning_identity_exact():
    U, X = low_rank_data(D=6, P=2, n=500, seed=7)
    V = random_orthonormal(6, 3, np.random.default_rng(8))
    for t in (0.0, 0.3, 1.0, 4.0):
        c = shrinkage(t)
        direct = np.mean(np.sum((X - c * (X @ V) @ V.T) ** 2, axis=1)) + c * c * t * t * 3
        expanded = (
            np.mean(np.sum(X**2, axis=1))
            + (c * c - 2 * c) * np.mean(np.sum((X @ V) ** 2, axis=1))
            + c * c * t * t * 3
        )
        assert expected_denoising_loss(V, X, t) == pytest.approx(direct, rel=1e-12)
        assert expected_denoising_loss(V, X, t) == pytest.approx(expanded, rel=1e-12)
        M = second_moment(X)
        assert denoising_loss_from_moment(V, M, t) == pytest.approx(expanded, rel=1e-10)


@pytest.mark.parametrize("t", [0.5, 1.0, 2.0])
def test_monte_carlo_loss_matches_exact_within_standard_errors(t):
    U, X = low_rank_data(D=10, P=3, n=20000, seed=9)
    V = random_orthonormal(10, 3, np.random.default_rng(10))
    mc, se = denoising_loss(V, X, t, np.random.default_rng(11), return_se=True)
    exact = expected_denoising_loss(V, X, t)
    # fixed seed; 4 standard errors of the Monte Carlo average (noise only, x is fixed)
    assert abs(mc - exact) < 4 * se
    # the source's eq. 15 (noise term dropped) is off by c^2 t^2 P, many standard errors
    c = shrinkage(t)
    assert abs(mc - (exact - c * c * t * t * 3)) > 10 * se


def test_fixed_x_monte_carlo_conditional_loss():
    # E_g ||x - c V V^T (x + t g)||^2 for one fixed x: average over many g.
    x = np.array([[2.0, -1.0, 1.0]])
    V = np.array([[1.0, 0.0], [0.0, 1 / np.sqrt(2)], [0.0, 1 / np.sqrt(2)]])
    X = np.repeat(x, 40000, axis=0)
    mc, se = denoising_loss(V, X, 1.0, np.random.default_rng(12), return_se=True)
    assert expected_denoising_loss(V, x, 1.0) == pytest.approx(3.5, abs=1e-12)
    assert abs(mc - 3.5) < 4 * se


def test_loss_validation():
    _, X = low_rank_data(D=4, P=1, n=10)
    V = np.eye(4)[:, :1]
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        denoising_loss(V, X, -1.0, rng)
    with pytest.raises(ValueError, match="orthonormal"):
        denoising_loss(2 * V, X, 1.0, rng)
    with pytest.raises(ValueError, match="rng"):
        denoising_loss(V, X, 1.0, 0)
    with pytest.raises(ValueError, match="rows"):
        expected_denoising_loss(np.eye(3)[:, :1], X, 1.0)
    with pytest.raises(ValueError, match="square"):
        denoising_loss_from_moment(V, np.ones((4, 3)), 1.0)
    with pytest.raises(ValueError, match="symmetric"):
        denoising_loss_from_moment(V, np.triu(np.ones((4, 4))), 1.0)


# -- minimizer and MMSE -------------------------------------------------------------------
def test_argmin_is_top_eigenbasis_for_every_t():
    Q, X = spectrum_data([4.0, 2.0, 1.0, 0.5, 0.25], n=3000, seed=13)
    V_pca = pca(X, 2)
    rng = np.random.default_rng(14)
    others = [random_orthonormal(5, 2, rng) for _ in range(200)]
    for t in (0.1, 1.0, 5.0):
        best = expected_denoising_loss(V_pca, X, t)
        assert all(expected_denoising_loss(V, X, t) >= best - 1e-12 for V in others)


def test_two_d_landscape_argmin_independent_of_t():
    phi = 0.6
    u = np.array([[np.cos(phi)], [np.sin(phi)]])
    M = u @ u.T
    thetas = np.linspace(0, np.pi, 721)
    for t in (0.2, 1.0, 3.0):
        losses = [
            denoising_loss_from_moment(np.array([[np.cos(a)], [np.sin(a)]]), M, t) for a in thetas
        ]
        assert abs(thetas[int(np.argmin(losses))] - phi) <= np.pi / 720


@pytest.mark.parametrize("P", [1, 3])
@pytest.mark.parametrize("t", [0.1, 1.0, 3.0])
def test_minimum_equals_mmse_for_projection_covariance(P, t):
    U = random_orthonormal(7, P, np.random.default_rng(15))
    mmse = P * t * t / (1 + t * t)
    assert denoising_loss_from_moment(U, U @ U.T, t) == pytest.approx(mmse, rel=1e-12)
    assert restricted_min_loss(np.r_[np.ones(P), np.zeros(7 - P)], P, t) == pytest.approx(mmse)
    assert linear_mmse(np.r_[np.ones(P), np.zeros(7 - P)], t) == pytest.approx(mmse)


def test_denoiser_is_bayes_optimal_for_projection_covariance():
    U = random_orthonormal(5, 2, np.random.default_rng(16))
    gmm = cu.GaussianMixture.low_rank([U])
    x_t = np.random.default_rng(17).standard_normal((50, 5)) * 2
    for t in (0.5, 2.0):
        ours = shrinkage(t) * (x_t @ U) @ U.T
        np.testing.assert_allclose(ours, cu.posterior_mean(gmm, x_t, t), atol=1e-12)
        A = gaussian_denoiser_matrix(U @ U.T, t)
        np.testing.assert_allclose(A, shrinkage(t) * U @ U.T, atol=1e-12)


def test_non_unit_eigenvalues_gap_and_linear_mmse_by_monte_carlo():
    eigs = np.array([4.0, 1.0, 0.25, 0.0])
    Q = random_orthonormal(4, 4, np.random.default_rng(18))
    Sigma = (Q * eigs) @ Q.T
    t = 1.0
    mmse = linear_mmse(eigs, t)
    assert mmse == pytest.approx(4 / 5 + 1 / 2 + 0.25 / 1.25)
    restricted = restricted_min_loss(eigs, 3, t)
    assert restricted == pytest.approx(0.25 * 5.25 + 0.25 * 3)
    assert restricted > mmse + 0.5
    # Monte Carlo MSE of Sigma (Sigma + t^2 I)^-1 x_t, x ~ N(0, Sigma)
    rng = np.random.default_rng(19)
    n = 40000
    X = (rng.standard_normal((n, 4)) * np.sqrt(eigs)) @ Q.T
    Xt = X + t * rng.standard_normal((n, 4))
    A = gaussian_denoiser_matrix(Sigma, t)
    err = np.sum((X - Xt @ A.T) ** 2, axis=1)
    assert abs(err.mean() - mmse) < 4 * err.std() / np.sqrt(n)
    # and it matches the exact Gaussian posterior mean
    gmm = cu.GaussianMixture([1.0], np.zeros((1, 4)), Sigma[None])
    np.testing.assert_allclose(Xt[:20] @ A.T, cu.posterior_mean(gmm, Xt[:20], t), atol=1e-10)


def test_restricted_min_never_below_mmse():
    rng = np.random.default_rng(20)
    for _ in range(20):
        eigs = rng.exponential(size=5)
        for t in (0.3, 1.0, 3.0):
            for p in range(1, 6):
                assert restricted_min_loss(eigs, p, t) >= linear_mmse(eigs, t) - 1e-12


def test_mmse_validation():
    with pytest.raises(ValueError, match="eigenvalues"):
        linear_mmse([-1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="t must be >"):
        gaussian_denoiser_matrix(np.eye(2), 0.0)
    with pytest.raises(ValueError, match="p must be <= D"):
        restricted_min_loss([1.0, 1.0], 3, 1.0)


# -- learning on the Stiefel manifold ---------------------------------------------------------
def test_batch_gradient_matches_finite_differences():
    rng = np.random.default_rng(21)
    D, p, B, t = 5, 2, 7, 0.8
    V = random_orthonormal(D, p, rng)
    xb = rng.standard_normal((B, D))
    y = xb + t * rng.standard_normal((B, D))
    c = shrinkage(t)

    def f(W):
        return np.mean(np.sum((xb - c * (y @ W) @ W.T) ** 2, axis=1))

    G = _batch_gradient(V, xb, y, c)
    h = 1e-6
    num = np.zeros_like(V)
    for i in range(D):
        for j in range(p):
            E = np.zeros_like(V)
            E[i, j] = h
            num[i, j] = (f(V + E) - f(V - E)) / (2 * h)
    np.testing.assert_allclose(G, num, atol=1e-7)


@pytest.mark.parametrize("t", [0.25, 1.0, 2.0])
def test_learn_subspace_recovers_pca(t):
    U, X = low_rank_data(D=12, P=3, n=2000, seed=22)
    V, hist = learn_subspace(X, 3, t, steps=200, lr=0.5, batch=128, decay=10,
                             rng=np.random.default_rng(23), return_history=True)
    np.testing.assert_allclose(V.T @ V, np.eye(3), atol=1e-12)
    angles = np.degrees(hist["angles"])
    assert angles.shape == (201, 3) and hist["loss"].shape == (201,)
    assert angles[0].max() > 30  # random start is far away
    assert angles[-1].max() < 6  # learned basis close to PCA (noise floor grows with t)
    assert np.degrees(principal_angles(U, V)).max() < 6
    # history loss is the exact noise-averaged loss of the final V
    assert hist["loss"][-1] == pytest.approx(expected_denoising_loss(V, X, t), rel=1e-10)
    loss_min = expected_denoising_loss(pca(X, 3), X, t)
    assert np.all(hist["loss"] >= loss_min - 1e-10)
    assert hist["loss"][-1] - loss_min < 0.02 * (hist["loss"][0] - loss_min)


def test_learn_subspace_determinism_v0_and_validation():
    _, X = low_rank_data(D=6, P=2, n=300, seed=24)
    a = learn_subspace(X, 2, 1.0, steps=20, rng=np.random.default_rng(1))
    b = learn_subspace(X, 2, 1.0, steps=20, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    V0 = np.eye(6)[:, :2]
    np.testing.assert_array_equal(learn_subspace(X, 2, 1.0, steps=0, rng=np.random.default_rng(0),
                                                 V0=V0), V0)
    with pytest.raises(ValueError, match="rng"):
        learn_subspace(X, 2, 1.0, steps=5)
    with pytest.raises(ValueError, match="V0 must have p"):
        learn_subspace(X, 2, 1.0, rng=np.random.default_rng(0), V0=np.eye(6)[:, :3])
    with pytest.raises(ValueError, match="orthonormal"):
        learn_subspace(X, 2, 1.0, rng=np.random.default_rng(0), V0=2 * V0)
    with pytest.raises(ValueError, match="p must be <= D"):
        learn_subspace(X, 7, 1.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="lr must be >"):
        learn_subspace(X, 2, 1.0, lr=0.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="decay must be >"):
        learn_subspace(X, 2, 1.0, decay=-1.0, rng=np.random.default_rng(0))
