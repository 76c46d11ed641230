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


# zed (user row 1: "amy" < "zed") rates a, b, c on lines 2, 3, 5; amy's b at t=10 is the
# latest of 5 interactions, so --split temporal --test-ratio 0.2 makes only it test, and zed
# keeps all 3 items in train.
_FULL_USER_LOG = "user_id,item_id,timestamp\nzed,a,1\nzed,b,2\namy,a,3\nzed,c,4\namy,b,10\n"


def test_a_log_user_who_interacted_with_every_item_is_named_by_raw_id_and_line(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text(_FULL_USER_LOG)
    assert main(["--dataset", "mylog", "--data-file", str(path), "--split", "temporal",
                 "--select-on", "test", "--ks", "1", "--select-metric", "recall@1",
                 "--epochs", "1", "--output-dir", str(tmp_path / "run"),
                 "--export-dir", str(tmp_path / "exp")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2: user 'zed' interacted with all 3 items" in err, err
    assert "user 1 " not in err                          # not the dense row
    assert not (tmp_path / "run").exists() and not (tmp_path / "exp").exists()
