"""The report of benchmarks.reference_torch (no PyTorch needed to render it)."""

import pytest

from benchmarks import reference_torch


@pytest.mark.parametrize("hops,backbone", [(0, "MF"), (3, "LightGCN")])
def test_the_report_names_the_backbone_that_was_trained(monkeypatch, hops, backbone):
    monkeypatch.setattr("benchmarks.seeds.seed_tables", lambda runs, summary: [])
    text = reference_torch.markdown({"settings": {"context_hops": hops}, "dataset": "tools",
                                     "ns": "ahns", "runs": {}, "summary": {}})
    assert f"the reference code's {backbone} training semantics" in text
    assert text.count("MF") == (hops == 0)
