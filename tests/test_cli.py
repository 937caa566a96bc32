"""The command line."""

import json
import subprocess
import sys

import pandas as pd

import retailkit as rk
from retailkit.cli import main


def test_generate_parquet_and_csv(tmp_path, capsys):
    out = tmp_path / "tf"
    assert main(["generate", "--scenario", "traffic_first", "--customers", "500", "--seed", "4",
                 "--out", str(out), "--quiet"]) == 0
    store = rk.StoreData.read(out)
    assert store.seed == 4 and 400 < len(store.customers) < 600
    assert main(["generate", "--scenario", "textbook", "--customers", "300", "--out", str(tmp_path / "csv"),
                 "--csv", "--quiet"]) == 0
    assert len(pd.read_csv(tmp_path / "csv" / "orders.csv")) > 300
    assert "wrote <StoreData" in capsys.readouterr().out


def test_scenarios_show_prints_editable_json(tmp_path, capsys):
    assert main(["scenarios"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in rk.Scenario.presets())
    assert main(["scenarios", "--show", "retention_first"]) == 0
    text = capsys.readouterr().out
    assert rk.Scenario.from_json(text) == rk.Scenario.preset("retention_first")
    # a researcher edits the JSON and generates from the file
    data = json.loads(text)
    data["channels"][1]["daily_spend"] = 0.0
    f = tmp_path / "mine.json"
    f.write_text(json.dumps(data))
    assert main(["generate", "--scenario-file", str(f), "--customers", "300", "--out", str(tmp_path / "m"),
                 "--quiet"]) == 0
    assert rk.StoreData.read(tmp_path / "m").scenario.channels[1].daily_spend == 0.0


def test_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["scenarios", "--show", "nope"]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert main(["generate", "--scenario-file", str(bad), "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "malformed scenario JSON" in capsys.readouterr().err


def test_console_script_entry_point():
    done = subprocess.run([sys.executable, "-m", "retailkit.cli", "scenarios"], capture_output=True, text=True)
    assert done.returncode == 0 and "textbook" in done.stdout
