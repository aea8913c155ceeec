import statistics

import pytest

from prossimo.bench.runner import median, percentile, summarise, timed_pairs


def test_median_of_odd_and_even_counts():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5


def test_percentile_interpolates_between_closest_ranks():
    values = list(range(1, 101))
    assert percentile(values, 0) == 1
    assert percentile(values, 100) == 100
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)


@pytest.mark.parametrize("q", [5, 25, 50, 75, 95, 99])
def test_percentile_agrees_with_the_standard_library_inclusive_method(q):
    values = [((i * 7919) % 1000) / 3 for i in range(537)]
    expected = statistics.quantiles(values, n=100, method="inclusive")[q - 1]
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_one_value_is_that_value():
    assert percentile([42.0], 99) == 42.0


def test_percentile_refuses_no_values_and_bad_ranks():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="within 0 and 100"):
        percentile([1], 101)


def test_summary_gives_median_and_tails():
    assert summarise([float(v) for v in range(1001)]) == {
        "median": 500.0,
        "p95": 950.0,
        "p99": 990.0,
    }


def test_summary_rounds_to_a_tenth():
    assert summarise([1.0, 1.24]) == {"median": 1.1, "p95": 1.2, "p99": 1.2}


def test_timed_pairs_keeps_only_measured_inputs_and_alternates_order():
    calls = []
    inputs = [(i, -i) for i in range(10)]
    measured, floors = timed_pairs(calls.append, calls.append, inputs, warmup=4)

    assert len(measured) == len(floors) == 6
    assert all(t >= 0 for t in measured + floors)
    # Operation first on even inputs, floor first on odd ones.
    assert calls[:4] == [0, 0, -1, 1]
