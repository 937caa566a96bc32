"""`make data` reproduces the bundled samples exactly (row counts and content hashes)."""

import json
from pathlib import Path

import retailkit as rk
from retailkit.synth.samples import data_readme, make_samples, manifest

DATA = Path(__file__).resolve().parent.parent / "data"


def test_make_data_reproduces_the_manifest(tmp_path):
    regenerated = make_samples(tmp_path, progress=False)
    assert regenerated == json.loads((DATA / "MANIFEST.json").read_text())


def test_bundled_files_match_the_manifest():
    stores = {name: rk.load_sample(name) for name in rk.sample_names()}
    assert manifest(stores) == json.loads((DATA / "MANIFEST.json").read_text())


def test_data_readme_is_generated_from_the_schema():
    man = json.loads((DATA / "MANIFEST.json").read_text())
    assert (DATA / "README.md").read_text() == data_readme(man)
