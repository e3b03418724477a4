"""The demo stage generates the demo library only where it is the library."""

import sys

import yaml

from tests.tiny_project import ROOT, run

TINY_DEMO = {"albums_per_genre": 1, "tracks_per_album": 1}


def _stage(project, library):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["library"] = library
    params["demo"].update(TINY_DEMO)
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    return run([sys.executable, str(ROOT / "stages" / "demo.py"), "--out", "data/demo_library"], project)


def test_the_demo_library_is_generated_where_it_is_the_library(tmp_path):
    result = _stage(tmp_path, "./data/demo_library")
    genres = sorted(path.name for path in (tmp_path / "data/demo_library").iterdir())
    assert genres == ["Blues", "Classical", "Dubstep", "House", "Jazz", "Metal", "Pop-punk", "Rap", "Reggae"]
    assert result.stdout == "demo: wrote 27 tracks to data/demo_library\n"  # 9 genres x 3 albums (the least) x 1


def test_for_another_library_only_a_note_is_written_in_its_place(tmp_path):
    (tmp_path / "data/demo_library/Blues").mkdir(parents=True)  # an earlier run's, with the demo as the library
    result = _stage(tmp_path, "/music/My Library")
    assert [path.name for path in (tmp_path / "data/demo_library").iterdir()] == ["NOT-GENERATED.txt"]
    assert (tmp_path / "data/demo_library/NOT-GENERATED.txt").read_text() == (
        "The demo library is generated only where params.yaml's library is data/demo_library; it is "
        "/music/My Library.\n")
    assert result.stdout == "demo: not generated (the library is /music/My Library)\n"
