"""The course's synthetic data generators."""

import numpy as np

from dudl.data import synthetic


def rng(seed=0):
    return np.random.default_rng(seed)


def test_qwerties_clusters_sit_at_their_centers_with_the_given_spread():
    centers = [[1, 1], [5, 1], [3, -2]]
    x, y = synthetic.qwerties(rng(), centers, 4000, blur=1.5)
    assert x.shape == (12000, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [4000, 4000, 4000]
    for label, center in enumerate(centers):
        cloud = x[y == label]
        np.testing.assert_allclose(cloud.mean(axis=0), center, atol=0.08)
        np.testing.assert_allclose(cloud.std(axis=0), 1.5, atol=0.06)


def test_qwerties_are_reproducible_from_the_seed():
    a = synthetic.qwerties(rng(3), [[0, 0], [1, 1]], 10, 1.0)
    b = synthetic.qwerties(rng(3), [[0, 0], [1, 1]], 10, 1.0)
    c = synthetic.qwerties(rng(4), [[0, 0], [1, 1]], 10, 1.0)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])


def test_doughnut_rings_have_radii_10_and_15_and_their_own_noise_axes():
    x, y = synthetic.doughnut_qwerties(rng(), 200)
    assert x.shape == (400, 2) and np.bincount(y).tolist() == [200, 200]
    radius = np.hypot(x[:, 0], x[:, 1])
    assert abs(np.median(radius[y == 0]) - 10) < 1.5 and abs(np.median(radius[y == 1]) - 15) < 1.5
    big = synthetic.doughnut_qwerties(rng(1), 20000)[0]
    th = np.linspace(0, 4 * np.pi, 20000)
    inner_noise = big[:20000] - 10 * np.column_stack([np.cos(th), np.sin(th)])
    outer_noise = big[20000:] - 15 * np.column_stack([np.cos(th), np.sin(th)])
    np.testing.assert_allclose(inner_noise.std(axis=0), [3, 1], atol=0.1)  # class 0 noisier in x
    np.testing.assert_allclose(outer_noise.std(axis=0), [1, 3], atol=0.1)  # class 1 noisier in y


def test_linear_regression_has_the_slope_and_noise_asked_for():
    x, y = synthetic.linear_regression(rng(), 50000, slope=-1.5, noise_std=0.5)
    assert x.shape == y.shape == (50000, 1)
    slope = np.polyfit(x[:, 0], y[:, 0], 1)[0]
    assert abs(slope + 1.5) < 0.01
    assert abs((y - slope * x).std() - 0.5) < 0.01
