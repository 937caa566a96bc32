import pytest

import retailkit as rk


@pytest.fixture(scope="session")
def small_stores():
    """One small world per preset, shared by the tests that only read them."""
    return {name: rk.generate(name, n_customers=3000, seed=11, progress=False) for name in rk.Scenario.presets()}


@pytest.fixture(scope="session")
def traffic_store(small_stores):
    return small_stores["traffic_first"]
