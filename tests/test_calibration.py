"""Score calibration: the fitted maps are monotone, stay in [0, 1] and match observed rates."""

from __future__ import annotations

import numpy as np
import pytest

from propscope.detect.calibration import Calibration, MonotoneMap, expected_calibration_error


def test_isotonic_fit_on_a_small_fixture_is_monotone_and_in_range() -> None:
    raw = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    hits = [0, 1, 0, 0, 1, 1, 0, 1]
    fitted = MonotoneMap.fit(raw, hits)
    values = fitted(np.linspace(0, 1, 101))
    assert np.all(np.diff(values) >= 0)
    assert values.min() >= 0.0 and values.max() <= 1.0
    # by hand: 0.2-0.4 pool into one block (1 hit in 3, mean score 0.3), 0.5-0.7 into another
    # (2 in 3, mean 0.6); between knots the map is linear
    assert fitted(0.3) == pytest.approx(1 / 3)
    assert fitted(0.6) == pytest.approx(2 / 3)
    assert fitted(0.7) == pytest.approx(2 / 3 + 0.5 * (1 - 2 / 3))
    assert fitted(0.0) == 0.0 and fitted(1.0) == 1.0  # flat beyond the first and last block


def test_fitted_map_matches_observed_rates() -> None:
    rng = np.random.default_rng(7)
    raw = rng.random(4000)
    hits = rng.random(4000) < raw**2  # a model that is over-confident in the middle
    fitted = MonotoneMap.fit(raw[:2000], hits[:2000])
    assert expected_calibration_error(raw[2000:], hits[2000:]) > 0.1
    assert expected_calibration_error(fitted(raw[2000:]), hits[2000:]) < 0.05


def test_maps_round_trip_and_refuse_bad_knots() -> None:
    calibration = Calibration(span=MonotoneMap((0.0, 0.5, 1.0), (0.1, 0.2, 0.9)))
    assert Calibration.from_dict(calibration.to_dict()) == calibration
    assert Calibration.from_dict(None) == Calibration()  # a model without calibration: identity
    with pytest.raises(ValueError, match="non-decreasing"):
        MonotoneMap((0.0, 1.0), (0.5, 0.2))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        MonotoneMap((0.0, 1.0), (0.0, 1.5))
