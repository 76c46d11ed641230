"""Issue 13, case 10: pipelines.export rejects --top-k 0 / --version -1; --resume checks its dir."""

import os

import pytest

from ahns_tf.config import TrainConfig
from ahns_tf.training import train


@pytest.fixture
def finished_run(toy_data_dir, tmp_path):
    config = TrainConfig(dataset="toy", data_dir=toy_data_dir, sampler="rns", epochs=1,
                         ks=(5,), select_metric="recall@5", batch_size=64,
                         output_dir=str(tmp_path / "run"), export_dir=str(tmp_path / "m" / "toy"))
    train(config, verbose=0, export=False)
    return tmp_path / "run"


@pytest.mark.parametrize("flags, message", [
    (["--top-k", "0"], "--top-k: must be an integer >= 1, got '0'"),
    (["--version", "-1"], "--version: must be an integer >= 1, got '-1'"),
])
@pytest.mark.slow
def test_export_rejects_bad_top_k_and_version_with_exit_2(finished_run, tmp_path, capsys,
                                                          flags, message):
    from pipelines.export import main
    with pytest.raises(SystemExit) as exit_:
        main(["--run-dir", str(finished_run), *flags])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_export_leaves_a_models_config_listing_the_model(finished_run, tmp_path):
    from pipelines.export import main
    assert main(["--run-dir", str(finished_run), "--version", "3"]) == 0
    assert os.listdir(tmp_path / "m" / "toy") == ["3"]
    assert "name: 'toy'" in (tmp_path / "m" / "models.config").read_text()


def test_resume_of_a_missing_directory_exits_2(tmp_path, capsys):
    from pipelines.train import main
    assert main(["--resume", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nowhere'}" in err and "--output-dir" in err


@pytest.mark.slow
def test_resume_continues_a_run(finished_run, capsys):
    from pipelines.train import main
    assert main(["--resume", str(finished_run), "--no-export"]) == 0
    assert "best epoch: 1 of 1" in capsys.readouterr().out


@pytest.mark.slow
def test_export_to_an_unwritable_folder_exits_2(finished_run, tmp_path, capsys):
    from pipelines.export import main
    (tmp_path / "file").write_text("in the way")
    assert main(["--run-dir", str(finished_run), "--export-dir", str(tmp_path / "file" / "m")]) == 2
    assert "--export-dir" in capsys.readouterr().err


def test_resume_of_a_damaged_progress_json_exits_2_suggesting_overwrite(tmp_path, capsys):
    from pipelines.train import main
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "progress.json").write_text('{"config": {"alpha": 0.')
    assert main(["--resume", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "run" / "progress.json") in err and "--overwrite" in err
