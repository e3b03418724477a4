"""Same arguments, same audio; other seed, other audio; a larger size only adds albums."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from spectrogenre.demo import generate_demo_library
from spectrogenre.demo.library import album_count, plan_library, render_track

SHORT = {"albums_per_genre": 3, "tracks_per_album": 1, "track_seconds": (2.0, 3.0)}


def _decoded(paths):
    return {p.relative_to(p.parents[2]): sf.read(str(p))[0] for p in paths}


def test_same_seed_gives_identical_decoded_files(tmp_path):
    first = _decoded(generate_demo_library(tmp_path / "a", seed=0, **SHORT))
    again = _decoded(generate_demo_library(tmp_path / "b", seed=0, **SHORT))
    assert len(first) == 27 and first.keys() == again.keys()
    assert all(np.array_equal(first[k], again[k]) for k in first)


def test_another_seed_gives_other_names_and_other_audio():
    plan0, plan1 = plan_library(seed=0, **SHORT), plan_library(seed=1, **SHORT)
    assert {j.relpath for j in plan0} != {j.relpath for j in plan1}  # names come from the seed too
    a, b = render_track(plan0[0]), render_track(plan1[0])
    assert a.shape != b.shape or not np.array_equal(a, b)


def test_render_track_is_a_pure_function_of_the_job():
    job = plan_library(seed=3, **SHORT)[0]
    assert np.array_equal(render_track(job), render_track(job))


def test_size_scales_the_album_count_with_a_floor_of_three():
    assert album_count(5, 1.0) == 5
    assert album_count(5, 2.0) == 10
    assert album_count(5, 0.1) == 3
    assert album_count(2, 1.0) == 3


def test_size_two_doubles_the_albums_and_keeps_the_size_one_albums_identical():
    small = plan_library(size=1.0, seed=0)
    large = plan_library(size=2.0, seed=0)
    for plan, albums in ((small, 5), (large, 10)):
        per_genre = {}
        for job in plan:
            per_genre.setdefault(job.genre, set()).add(job.relpath.parent)
        assert {len(a) for a in per_genre.values()} == {albums}
    assert set(small) <= set(large)  # same names, lengths, rates, containers
    kept = next(job for job in large if job.album == 4 and job.genre == "Jazz")
    assert kept in small
    # The rendering depends on the job only, so equal jobs are equal audio.
    job_small = next(job for job in small if job == kept)
    assert np.array_equal(render_track(job_small), render_track(kept))
