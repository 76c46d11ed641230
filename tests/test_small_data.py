"""Issue 13, case 7: a catalogue smaller than a cut-off, a user who interacted with every item."""

import os

from conftest import random_lines, write_dataset
from pipelines.train import main


def _main(data_dir, tmp_path, *flags):
    return main(["--dataset", "small", "--data-dir", data_dir, "--epochs", "1",
                 "--output-dir", str(tmp_path / "run"), "--export-dir", str(tmp_path / "exp"),
                 *flags])


def test_a_cut_off_beyond_the_catalogue_exits_2_naming_ks(tmp_path, capsys):
    data = write_dataset(tmp_path / "data", "small", random_lines(12, 10, 3, seed=0),
                         [f"{u} {u % 10}" for u in range(12)])
    assert _main(data, tmp_path) == 2             # default --ks 20 50, only 10 items
    err = capsys.readouterr().err
    assert "--ks" in err and "10 items" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "exp").exists()


def test_a_user_who_interacted_with_every_item_exits_2_naming_user_and_line(tmp_path, capsys):
    train = random_lines(8, 10, 3, seed=0)
    train[3] = "3 " + " ".join(map(str, range(10)))   # user 3 on line 4: every item
    data = write_dataset(tmp_path / "data", "small", train, [f"{u} {u}" for u in range(8)
                                                             if u != 3])
    assert _main(data, tmp_path, "--ks", "5", "--select-metric", "recall@5",
                 "--select-on", "test") == 2
    err = capsys.readouterr().err
    path = os.path.join(data, "small", "train.txt")
    assert f"{path}:4" in err and "user 3" in err and "all 10 items" in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "exp").exists()
