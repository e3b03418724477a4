from spectrogenre.files import fresh_dir


def test_a_fresh_output_folder_is_emptied_but_keeps_dvcs_gitignore(tmp_path):
    out = tmp_path / "train"
    (out / "live" / "plots").mkdir(parents=True)
    (out / "model.keras").write_bytes(b"old model")
    (out / "live" / "plots" / "loss.tsv").write_text("1\t0.5\n")
    (out / ".gitignore").write_text("/model.keras\n/held_out.npz\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not an output")
    (out / "link").symlink_to(elsewhere)
    assert fresh_dir(out) == out
    assert [p.name for p in out.iterdir()] == [".gitignore"]
    assert (out / ".gitignore").read_text() == "/model.keras\n/held_out.npz\n"
    assert (elsewhere / "keep.txt").read_text() == "not an output"  # a link's target is not the folder's to empty
    assert fresh_dir(tmp_path / "new" / "stage").is_dir()
    (tmp_path / "was a file").write_text("x")
    assert fresh_dir(tmp_path / "was a file").is_dir()
