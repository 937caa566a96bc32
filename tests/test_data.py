"""StoreData: construction from your own tables, files, samples, schema errors."""

import json

import pandas as pd
import pytest

import retailkit as rk
from retailkit.schema import TABLES


def test_parquet_round_trip_keeps_everything(tmp_path, traffic_store):
    path = traffic_store.write(tmp_path / "store")
    back = rk.StoreData.read(path)
    for name, df in traffic_store.tables().items():
        pd.testing.assert_frame_equal(back.tables()[name], df, obj=name)
    assert back.scenario == traffic_store.scenario
    assert (back.seed, back.version) == (traffic_store.seed, traffic_store.version)
    with pytest.raises(rk.RetailkitError, match="exists and is not empty; pass overwrite=True"):
        traffic_store.write(path)


def test_csv_export(tmp_path, traffic_store):
    traffic_store.to_csv(tmp_path)
    orders = pd.read_csv(tmp_path / "orders.csv")
    assert len(orders) == len(traffic_store.orders)
    assert list(orders.columns) == TABLES["orders"].names
    assert json.loads((tmp_path / "metadata.json").read_text())["scenario"]["name"] == "traffic_first"
    # the CSV reads back into a StoreData with the same values
    again = rk.StoreData(orders=orders, customers=pd.read_csv(tmp_path / "customers.csv"))
    pd.testing.assert_series_equal(again.orders["ordered_at"], traffic_store.orders["ordered_at"])


def test_read_errors_name_the_problem(tmp_path, traffic_store):
    with pytest.raises(rk.RetailkitError, match="metadata.json is missing"):
        rk.StoreData.read(tmp_path)
    path = traffic_store.write(tmp_path / "s")
    (path / "returns.parquet").unlink()
    with pytest.raises(rk.RetailkitError, match="table file returns.parquet is missing"):
        rk.StoreData.read(path)


def test_own_tables_with_missing_ones_become_empty():
    orders = pd.DataFrame({
        "order_id": [1, 2], "customer_id": [10, 10], "store_id": ["web", "web"],
        "ordered_at": ["2024-01-01T10:00:00Z", "2024-02-01T10:00:00+01:00"],
        "gross_amount": [10, 20.5], "discount_amount": [0, 0.5], "amount": [10, 20.0],
    })
    s = rk.StoreData(orders=orders)
    assert str(s.orders["ordered_at"].dtype) == "datetime64[us, UTC]"
    assert s.orders["ordered_at"].iloc[1] == pd.Timestamp("2024-02-01T09:00:00Z")
    assert len(s.sessions) == 0 and list(s.sessions.columns) == TABLES["sessions"].names
    s.validate()


def test_schema_errors_name_table_column_and_rows():
    good = {"order_id": [1, 2], "customer_id": [1, 1], "store_id": ["a", "a"],
            "ordered_at": ["2024-01-01", "2024-01-02"], "gross_amount": [1.0, 2.0],
            "discount_amount": [0.0, 0.0], "amount": [1.0, 2.0]}
    with pytest.raises(rk.SchemaError, match=r"orders: missing column\(s\) \['amount'\]"):
        rk.StoreData(orders=pd.DataFrame({k: v for k, v in good.items() if k != "amount"}))
    with pytest.raises(rk.SchemaError, match=r"orders.ordered_at: cannot parse as dates at rows 1"):
        rk.StoreData(orders=pd.DataFrame({**good, "ordered_at": ["2024-01-01", "yesterday"]}))
    with pytest.raises(rk.SchemaError, match=r"orders.order_id: expected whole numbers, found \[1.5\]"):
        rk.StoreData(orders=pd.DataFrame({**good, "order_id": [1, 1.5]}))
    with pytest.raises(rk.SchemaError, match=r"orders.customer_id: missing values at rows 0"):
        rk.StoreData(orders=pd.DataFrame({**good, "customer_id": [None, 1]}))


def test_samples_are_bundled_and_load():
    assert rk.sample_names() == ("traffic_first", "retention_first", "textbook")
    for name in rk.sample_names():
        s = rk.load_sample(name)
        assert s.scenario.name == name
        # "about 10k customers each": the pair is drawn at one scale, so these differ by design
        assert 5_000 <= len(s.customers) <= 15_000
    with pytest.raises(rk.RetailkitError, match="unknown sample 'cdnow'"):
        rk.load_sample("cdnow")


def test_load_sample_says_how_to_make_missing_data(tmp_path, monkeypatch):
    monkeypatch.setenv("RETAILKIT_DATA", str(tmp_path))
    with pytest.raises(rk.RetailkitError, match="Run `make data`"):
        rk.load_sample("textbook")


def test_own_customers_without_truth_or_names():
    """Real data has no ground truth and may have no names: those columns are optional and come in
    empty; a required column is still named when it is missing."""
    customers = pd.DataFrame({"customer_id": [1, 2], "acquired_at": ["2024-01-01T10:00Z", "2024-02-01T09:00Z"],
                              "channel": ["web", "shop"], "store_id": ["web", "web"]})
    s = rk.StoreData(customers=customers)
    assert s.customers["true_lambda"].isna().all() and s.customers["name"].isna().all()
    assert list(s.customers.columns) == TABLES["customers"].names
    with pytest.raises(rk.SchemaError, match=r"customers: missing column\(s\) \['acquired_at'\]"):
        rk.StoreData(customers=customers.drop(columns="acquired_at"))
