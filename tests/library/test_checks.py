from collections import Counter

import pytest
import yaml

from spectrogenre.library.checks import check_catalog, first_map, suggest_map
from spectrogenre.library.scan import render
from spectrogenre.library.sources import Catalog, GenreMap, Track, load_catalog
from tests.synth import NFC, NFD, hiphop_library, write_tagged


def track(genre, album, seconds=60.0, artist=""):
    return Track(path=None, name=f"{genre}/{album}/{seconds}.mp3", genre=genre, album=album, artist=artist,
                 seconds=seconds)


def catalog_of(*tracks, layout="folders"):
    return Catalog(root=None, layout=layout, tracks=list(tracks))


def test_a_sound_library_has_no_errors_and_its_figures_per_genre():
    catalog = catalog_of(*(track(g, a, artist=f"{g}{a}") for g in ("jazz", "rock") for a in "ABC"),
                         track("jazz", "A", seconds=None))
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0)
    assert report.ok and report.errors == [] and report.warnings == []
    assert report.genres["jazz"] == {"tracks": 4, "groups": 3, "groups_with_a_clip": 3, "albums": 3, "artists": 3,
                                     "hours": 0.05, "tracks_of_unknown_length": 1, "grouped_by": {"album": 4}}


def test_an_albums_discs_count_as_one_album():
    catalog = catalog_of(*(track("jazz", a) for a in ("A CD1", "A CD2", "B (Disc 1) [FLAC]", "B (Disc 2) [FLAC]", "C")))
    summary = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0).genres["jazz"]
    assert (summary["tracks"], summary["groups"], summary["albums"]) == (5, 3, 3)


def test_album_names_written_alike_count_as_one_group_named_by_its_first_spelling():
    catalog = catalog_of(*(track("pop", a) for a in (f"{NFC} - Live", f"{NFD} - Live", "C Layne - VI",
                                                     "c layne  - vi", "Other")))
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0)
    summary = report.genres["pop"]
    assert (summary["tracks"], summary["groups"], summary["albums"]) == (5, 3, 3)
    catalog = catalog_of(*(track("pop", a) for a in ("C Layne - VI", "c layne - vi", "Other")),
                         *(track("rock", a) for a in "ABC"))
    [error] = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0).errors
    assert "genre 'pop' has 2 group(s)" in error and "('C Layne - VI', 'Other')" in error, error


@pytest.mark.parametrize("layout, fix", [
    ("folders", ("add album folders (in <genre>/<artist>/<album> folders each artist is one group: add artists; "
                 "where the folders under the genre's are not albums, as decades or years, layout flat groups by the "
                 "album tags)")),
    ("tags", "add albums, tag the tracks' albums or artists"),
    ("manifest", "add albums, fill the manifest's album or artist column")])
def test_too_few_groups_counting_only_groups_long_enough_for_a_clip(layout, fix):
    # rock: albums A and B, and C whose one track is 10 s, shorter than a 15 s clip
    catalog = catalog_of(*(track("jazz", a) for a in "ABC"), track("rock", "A"), track("rock", "B"),
                         track("rock", "C", seconds=10.0), layout=layout)
    report = check_catalog(catalog, genre_map=GenreMap({"jazz": [], "rock": []}), clip_seconds=15.0)
    assert report.errors == [
        "genre 'rock' has 2 group(s) (3 track(s) by album) with at least 15 s of audio ('A', 'B'); the "
        f"train/val/test split keeps each group in one set and needs 3: {fix}, or leave the genre out"]


def test_one_genre_and_a_missing_model_requirement_are_errors_together():
    report = check_catalog(catalog_of(*(track("jazz", a) for a in "ABC")), genre_map=GenreMap(), clip_seconds=15.0,
                           model_requirement="model.kind musicnn: install it")
    assert report.errors == ["model: model.kind musicnn: install it",
                             "1 genre(s) with usable tracks (jazz): a classifier needs at least 2"]


def test_crossval_needs_as_many_independent_groups_as_folds():
    # jazz: 3 albums by 3 artists; rock: 3 albums, two by one artist -> 2 groups by artist
    catalog = catalog_of(*(track("jazz", a, artist=f"j{a}") for a in "ABC"),
                         track("rock", "A", artist="x"), track("rock", "B", artist="x"), track("rock", "C", artist="y"))
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0, folds=3, crossval_group="auto")
    assert report.errors == ["genre 'rock' has 2 independent group(s) by artist; 3-fold cross-validation needs 3: "
                             "lower crossval.folds or add artists"]
    assert check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0, folds=3, crossval_group="album").ok


def test_crossval_needs_two_groups_of_each_genre_left_to_train_on_in_every_fold():
    # rock: 2 artists, x with albums A, B and C, y with D; a fold testing x trains on D alone, and the choice of C
    # (or epochs) inside the fold, by grouped cross-validation, needs 2 albums
    rock = [track("rock", a, artist="x") for a in "ABC"] + [track("rock", "D", artist="y")]
    catalog = catalog_of(*(track("jazz", a, artist=f"j{a}") for a in "ABCD"), *rock)
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0, folds=2, crossval_group="auto")
    assert report.errors == [("genre 'rock' has 2 independent group(s) by artist; in 2-fold cross-validation a fold "
                              "may train on 1 of its albums (or of its artists or tracks, where albums are not "
                              "known), and choosing the model inside a fold by grouped cross-validation needs 2: "
                              "crossval.group album (folds of albums, an artist's in several), or add artists, or "
                              "crossval.folds 0 (no cross-validation)")]
    # by album: 4 groups, a fold tests 2 and trains on 2
    assert check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0, folds=2, crossval_group="album").ok
    # one more rock artist, z (album E): 2 folds may test x and another, leaving 1 album; 3 folds test one artist,
    # at worst x, leaving 2 (jazz, 4 artists of an album each: at most 2 tested, 2 left, either way)
    more = catalog_of(*(track("jazz", a, artist=f"j{a}") for a in "ABCD"), *rock, track("rock", "E", artist="z"))
    assert check_catalog(more, genre_map=GenreMap(), clip_seconds=15.0, folds=3, crossval_group="auto").ok
    [error] = check_catalog(more, genre_map=GenreMap(), clip_seconds=15.0, folds=2, crossval_group="auto").errors
    assert error.startswith("genre 'rock' has 3 independent group(s) by artist; in 2-fold cross-validation a fold may "
                            "train on 1 of its albums") and error.endswith(
        ": set crossval.folds to 3, or crossval.group album (folds of albums, an artist's in several), or add "
        "artists, or crossval.folds 0 (no cross-validation)")


@pytest.mark.parametrize("layout, fix", [("flat", "tag them, or use a manifest"),
                                         ("manifest", "fill the manifest's album or artist column for them")])
def test_tracks_grouped_alone_are_warned_of(layout, fix):
    catalog = catalog_of(*(Track(path=None, name=f"rap/{i}.mp3", genre="rap", seconds=60.0) for i in range(3)),
                         *(track("jazz", a) for a in "ABC"), layout=layout)
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0)
    assert report.ok
    assert report.warnings == ["genre 'rap': 3 track(s) have no album or artist tag and are grouped alone, so tracks "
                               f"of one album may straddle train and test ({fix})"]


def test_untagged_flat_tracks_in_folders_under_the_genre_get_the_hint_to_use_layout_folders(tmp_path):
    for genre in ("Jazz", "Rock"):
        for album in "ABC":
            write_tagged(tmp_path / genre / album / "1.wav")  # no tags
    write_tagged(tmp_path / "Rock" / "loose.wav")
    report = check_catalog(load_catalog(tmp_path, layout="flat"), genre_map=GenreMap(), clip_seconds=1.0)
    assert report.warnings == [
        (f"genre '{genre}': {n} track(s) have no album or artist tag and are grouped alone, so tracks of one album may "
         f"straddle train and test (tag them, or use a manifest; where the folders under the genre folder are "
         f"albums, layout folders groups by them)") for genre, n in (("Jazz", 3), ("Rock", 4))]


def test_artist_folders_read_as_genres_get_the_hint_to_use_tags():
    catalog = catalog_of(*(track(f"Artist {i}", "Only Album") for i in range(4)))
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0, folds=5)
    assert report.errors == [(  # one error, not one per artist taken for a genre, nor cross-validation's
        "4 of 4 genre folders have too few albums (fewer than 3 groups with a clip each): if the top folders are "
        "artists and the genres are in the files' tags, use layout tags (`spectrogenre scan --layout tags` lists the "
        "tag values); if they are genres, add albums to them")]
    # two of four short: genres after all, each told its own
    catalog = catalog_of(*(track(f"Artist {i}", "Only Album") for i in range(2)),
                         *(track(f"Genre {i}", album) for i in range(2) for album in "ABC"))
    assert [error.split(" has ")[0] for error in check_catalog(catalog, genre_map=GenreMap(),
                                                                clip_seconds=15.0).errors] == [
        "genre 'Artist 0'", "genre 'Artist 1'"]


def test_groups_that_are_subgenres_holding_albums_of_several_artists_are_warned_of_in_the_folders_layout():
    def track(genre, group, album, artist):
        return Track(path=None, name=f"{genre}/{group}/{album}/1.mp3", genre=genre, album=group, artist=artist,
                     seconds=60.0)

    # Metal/<subgenre>/<album>: each subgenre's albums by three artists; Rock/<artist>/<album>: one artist each
    tracks = [track("Metal", sub, f"{artist} - Album", artist) for sub in ("Black", "Doom", "Thrash")
              for artist in ("A", "B", "C")]
    tracks += [track("Rock", artist, album, artist) for artist in ("X", "Y", "Z") for album in ("One", "Two", "Six")]
    report = check_catalog(catalog_of(*tracks), genre_map=GenreMap(), clip_seconds=15.0)
    assert report.warnings == [
        "genre 'Metal': 3 of its 3 groups (the folders under the genre's, each kept whole in one set) hold albums of "
        "several artists, as Metal/Black/ holds 3 by 3: where they are subgenres, the test set is one or two of them; "
        "layout flat groups by the album tags"]


def test_artists_written_alike_are_counted_once_as_albums_are():
    catalog = catalog_of(track("rock", "A", artist="The Band"), track("rock", "B", artist="the  band"),
                         track("rock", "C", artist="Other"))
    assert check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0).genres["rock"]["artists"] == 2


@pytest.mark.parametrize("layout", ["folders", "flat", "tags"])
def test_a_library_folder_with_no_audio_at_all_is_one_error_saying_so(tmp_path, layout):
    catalog = load_catalog(tmp_path, layout=layout)
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0)
    assert report.errors == [f"no audio files found in {tmp_path}: name the folder that holds the music"]
    assert not report.suggested_map  # no genre map to suggest for nothing


def test_a_folders_library_of_one_genre_folder_gets_the_hint_to_use_tags():
    catalog = catalog_of(*(track("Music", "Media", seconds=s) for s in (60.0, 61.0)))  # Music/Media/<artist>/...
    error, _ = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=15.0).errors  # then Music's 1 group
    assert error == ("1 genre(s) with usable tracks (Music): a classifier needs at least 2; if the folders here are "
                     "not genres (artists, or a music player's own folders: iTunes' Music/Media), the genres are in "
                     "the files' tags: use layout tags (`spectrogenre scan --layout tags` lists them)")


def test_groups_that_hold_folders_of_albums_are_warned_of_in_the_folders_layout():
    def deep(genre, group, inner):
        return Track(path=None, name=f"{genre}/{group}/{inner}/1.mp3", genre=genre, album=group, seconds=60.0)

    tracks = [deep("Classical", sub, f"{artist}/Album") for sub in ("Baroque", "Romantic", "Modern")
              for artist in ("A", "B")]
    tracks += [deep("Rock", album, disc) for album in ("X", "Y", "Z") for disc in ("CD1", "CD2")]  # discs: albums
    tracks += [deep("Jazz", artist, album) for artist in ("X", "Y", "Z") for album in ("A", "B")]  # artists: groups
    report = check_catalog(catalog_of(*tracks), genre_map=GenreMap(), clip_seconds=15.0)
    assert report.warnings == [
        "genre 'Classical': 3 of its 3 groups (the folders under the genre's, each kept whole in one set) hold their "
        "tracks two folders down, as Classical/Baroque/A/Album/: where they are subgenres or decades, the test set is "
        "one or two of them; layout flat groups by the album tags"]


def test_suggested_map_places_values_by_name_and_offers_the_rest():
    unmapped = Counter({"Alternative Rock": 72, "Alt. Rock": 8, "World": 12, "world": 2, "Electronica": 5})
    suggestion = suggest_map(GenreMap({"rock": [], "electronic": ["Techno"], "Electro": []}), unmapped)
    # 'Electronica' contains both 'electronic' and 'electro': ambiguous, so it is offered on its own
    assert suggestion == (
        "source:\n"
        "  genres:\n"
        '    "rock": ["Alternative Rock", "Alt. Rock"]  # +80 track(s) suggested\n'
        '    "electronic": ["Techno"]\n'
        '    "Electro": []\n'
        '    "World": ["world"]  # 14 track(s): keep as a genre, move into another, or delete\n'
        '    "Electronica": []  # 5 track(s): keep as a genre, move into another, or delete\n')


def test_a_suggested_map_writes_genre_names_as_they_are_and_reads_back_as_the_same_map():
    import yaml

    genres = GenreMap({"\U0001f39b Electronic": [], "\u00c9lectro pop": ["Pop"]})
    suggestion = suggest_map(genres, Counter({"Clássica": 50}))
    # escaped as JSON's \ud83c\udf9b, the emoji read back from YAML as two lone surrogates, which no text can print
    assert '"\U0001f39b Electronic": []' in suggestion and '"\u00c9lectro pop": ["Pop"]' in suggestion
    assert set(yaml.safe_load(suggestion)["source"]["genres"]) == {"\U0001f39b Electronic", "\u00c9lectro pop",
                                                                   "Clássica"}


def test_a_tags_library_without_a_map_stops_and_suggests_one(tmp_path):
    for i, genre in enumerate(["Alternative Rock", "Alternative Rock", "Classical"]):
        write_tagged(tmp_path / "lib" / f"{i}.mp3", genre=genre, album=f"A{i}")
    catalog = load_catalog(tmp_path / "lib", layout="tags")
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=1.0, folds=5)
    # the one error: the raw values are no genres yet, so none is told it has too few groups
    assert len(report.errors) == 1 and report.errors[0].startswith("layout tags needs a genre map")
    assert report.suggested_map == (
        "source:\n  genres:\n"
        '    "Alternative Rock": []  # 2 track(s): keep as a genre, move into another, or delete\n'
        '    "Classical": []  # 1 track(s): keep as a genre, move into another, or delete\n')


def test_without_a_map_the_suggested_map_holds_the_values_of_tracks_that_name_several_genres(tmp_path):
    write_tagged(tmp_path / "lib" / "0.mp3", genre="Rock", album="A0")
    write_tagged(tmp_path / "lib" / "1.mp3", genre=["Rock", "Soundtrack"], album="A1")  # ID3v2.4: two values
    write_tagged(tmp_path / "lib" / "2.flac", genre=["Classical", "Soundtrack", "soundtrack"], album="A2")  # GENRE x3
    catalog = load_catalog(tmp_path / "lib", layout="tags")
    assert [t.name for t in catalog.tracks] == ["0.mp3"]  # the other two name several genres, and no map chooses
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=1.0)
    # every track placed by the map as suggested: Soundtrack, never a track's only genre, would make them ambiguous;
    # Classical, in no track alone either, is the first genre of a track nothing else places
    assert report.suggested_map == (
        "source:\n  genres:\n"
        '    "Rock": []  # 2 track(s), 1 of them beside other values: keep as a genre, move into another, or delete\n'
        '    "Classical": []  # 1 track(s), 1 of them beside other values: keep as a genre, move into another, or '
        'delete\n'
        '    # "Soundtrack" (2 track(s)) is never a track\'s only genre: not offered; its tracks count under their '
        'other genre\n')


def test_the_map_suggested_without_one_pasted_as_it_is_gives_each_genre_the_tracks_it_says(tmp_path):
    genres = ["Electronic", "Electronic", ["Electronic", "Ambient"], "Rock", "rock", "Rock/Alternative", "Pop",
              "Pop/Rock", ["Pop", "Rock"]]
    for n, genre in enumerate(genres):
        write_tagged(tmp_path / "lib" / f"{n}.mp3", genre=genre, album=f"A{n}")
    suggestion = check_catalog(load_catalog(tmp_path / "lib", layout="tags"), genre_map=GenreMap(),
                               clip_seconds=1.0).suggested_map
    assert suggestion == (
        "source:\n  genres:\n"
        '    "Electronic": []  # 3 track(s), 1 of them beside other values: keep as a genre, move into another, or '
        'delete\n'
        '    "Rock": ["rock", "Rock/Alternative"]  # 3 track(s): keep as a genre, move into another, or delete\n'
        '    "Pop": []  # 1 track(s): keep as a genre, move into another, or delete\n'
        '    "Pop/Rock": []  # 1 track(s): keep as a genre, move into another, or delete\n'
        '    # "Ambient" (1 track(s)) is never a track\'s only genre: not offered; its tracks count under their other '
        'genre\n'
        '    # 1 track(s) name two of these genres (as "Pop; Rock"): left out as ambiguous (a track is learned as one '
        'genre)\n')
    genre_map = GenreMap(yaml.safe_load(suggestion)["source"]["genres"])
    catalog = load_catalog(tmp_path / "lib", layout="tags", genre_map=genre_map)
    report = check_catalog(catalog, genre_map=genre_map, clip_seconds=1.0)
    assert {genre: summary["tracks"] for genre, summary in report.genres.items()} == {
        "Rock": 3, "Electronic": 3, "Pop": 1, "Pop/Rock": 1}
    assert not any("has no track" in error for error in report.errors)
    assert [(where, why.split(":")[0]) for where, why in catalog.left_out] == [
        ("8.mp3", "genre tag 'Pop', 'Rock' matches 2 genres (Pop, Rock)")]


@pytest.mark.parametrize("layout, suggested", [
    ("tags", '    "Jazz": ["Jazz, Blues"]  # 2 track(s): keep as a genre, move into another, or delete\n'),
    ("folders", '    "Jazz": []  # 1 track(s): keep as a genre, move into another, or delete\n'  # the user's folder
                '    "Jazz, Blues": []  # 1 track(s): keep as a genre, move into another, or delete\n'),
])
def test_a_joined_tag_value_is_suggested_under_its_genre_but_a_genre_folder_stays_its_own(layout, suggested):
    catalog = catalog_of(track("Jazz", "A"), track("Jazz, Blues", "B"), layout=layout)
    assert first_map(catalog) == "source:\n  genres:\n" + suggested


def test_a_value_only_ever_beside_a_mapped_one_is_named_but_not_suggested_as_a_genre(tmp_path):
    # "Classical; Baroque": learnt as classical; a map with "Baroque" as a genre of its own would make it ambiguous
    write_tagged(tmp_path / "lib" / "0.mp3", genre="Classical; Baroque", album="A0")
    write_tagged(tmp_path / "lib" / "1.mp3", genre="Baroque", album="A1")
    write_tagged(tmp_path / "lib" / "2.mp3", genre="Rock; Indie", album="A2")
    genre_map = GenreMap({"classical": [], "rock": []})
    catalog = load_catalog(tmp_path / "lib", layout="tags", genre_map=genre_map)
    assert sorted(t.name for t in catalog.tracks) == ["0.mp3", "2.mp3"]
    report = check_catalog(catalog, genre_map=genre_map, clip_seconds=1.0)
    assert ("genre values not in the genre map, with their track counts: 'Baroque' (2, 1 placed by another value), "
            "'Indie' (1, each track placed by another of its values)") in report.warnings
    assert report.suggested_map == (  # Baroque's other track, which nothing placed, is counted
        'source:\n  genres:\n    "classical": []\n    "rock": []\n'
        '    "Baroque": []  # 1 track(s): keep as a genre, move into another, or delete\n')


def test_a_genre_of_the_map_left_with_no_track_stops_the_scan(tmp_path):
    # Baroque kept as a genre of its own, as a suggested map offered it: "Classical; Baroque" names two genres
    write_tagged(tmp_path / "lib" / "0.mp3", genre="Classical; Baroque", album="A0")
    for i in (1, 2, 3):
        write_tagged(tmp_path / "lib" / f"{i}.mp3", genre="Baroque", album=f"A{i}")
    genre_map = GenreMap({"classical": [], "Baroque": [], "jazz": []})
    catalog = load_catalog(tmp_path / "lib", layout="tags", genre_map=genre_map)
    report = check_catalog(catalog, genre_map=genre_map, clip_seconds=1.0)
    no_track = ("of the genre map has no track (a track whose values name it beside another of the map's genres is "
                "left out as ambiguous, listed above): map its other values into one of them, or leave the genre out "
                "of the map")
    assert [e for e in report.errors if "of the genre map" in e] == [
        f"genre 'classical' {no_track}", f"genre 'jazz' {no_track}"]


def test_a_genre_folder_that_links_to_one_already_walked_says_so_not_that_it_holds_no_audio(tmp_path):
    lib = tmp_path / "lib"
    for genre in (lib / "Jazz", tmp_path / "store" / "rock"):
        for album in "ABC":
            write_tagged(genre / album / "1.wav", seconds=2.0)
    for name, target in [("Rock", tmp_path / "store" / "rock"),
                         ("Rock Music", tmp_path / "store" / "rock"), ("Metal", lib / "Jazz")]:
        (lib / name).symlink_to(target)
    catalog = load_catalog(lib, layout="folders")
    assert {g: len(t) for g, t in catalog.genres().items()} == {"Jazz": 3, "Rock": 3}
    report = check_catalog(catalog, genre_map=GenreMap(), clip_seconds=1.0)
    assert report.warnings == [
        "genre folder 'Metal' is not learned as a genre of its own: a link to Jazz in this folder: walked there",
        (f"genre folder 'Rock Music' is not learned as a genre of its own: the same folder as {lib / 'Rock'} "
         f"(through a link): walked once")]


@pytest.mark.parametrize("layout", ["folders", "flat"])
def test_playlists_beside_the_genre_folders_are_said_not_to_be_read(tmp_path, layout):
    for genre in ("Jazz", "Rock"):
        for album in "ABC":
            write_tagged(tmp_path / genre / album / "1.wav", album=album)
        (tmp_path / f"{genre}.m3u8").write_text(f"#EXTM3U\n{genre}/A/1.wav\n")
    (tmp_path / "Rock" / "A" / "album.m3u").write_text("1.wav\n")  # an album's own playlist: nothing to say
    report = check_catalog(load_catalog(tmp_path, layout=layout), genre_map=GenreMap(), clip_seconds=1.0)
    assert report.warnings == [
        ("2 playlist(s) beside the genre folders (Jazz.m3u8, Rock.m3u8) are not read: the genre folders name the "
         "genres; for a genre per playlist, list their tracks in a manifest (README: \"A playlist per genre\")")]
    assert report.ok


def test_a_library_given_one_folder_too_deep_gets_one_error_saying_so(tmp_path):
    for album in ("A", "B", "C"):  # one genre's folder: <album>/<track>
        write_tagged(tmp_path / "Rock" / album / "1.wav")
    report = check_catalog(load_catalog(tmp_path / "Rock", layout="folders"), genre_map=GenreMap(), clip_seconds=1.0)
    assert report.errors[1:] == [  # not an error per album folder, each taken for a genre with no usable audio
        (f"every audio file is one folder down in {tmp_path / 'Rock'}: if it is one genre's folder, scan the library "
         f"folder that holds the genre folders; if the library is <genre>/<track>, use layout flat; if the genres "
         f"are in the files' tags, use layout tags")]
    for layout, where in [("folders", "<genre>/<album>/<track>"), ("flat", "<genre>/<track>")]:  # an album's folder
        report = check_catalog(load_catalog(tmp_path / "Rock" / "A", layout=layout), genre_map=GenreMap(),
                               clip_seconds=1.0)
        assert report.errors[1:] == [
            (f"no audio file stands where layout {layout} looks for it ({where}) in {tmp_path / 'Rock' / 'A'}: if it "
             f"is one genre's or one album's folder, scan the library folder that holds the genre folders; if the "
             f"genres are in the files' tags, use layout tags")]


def test_a_genre_folder_given_whose_albums_have_disc_folders_gets_one_error_saying_so(tmp_path):
    genre = tmp_path / "Rock"
    for track in ("A/1.wav", "B/CD1/1.wav", "B/CD2/1.wav", "C/Disc 1/1.wav", "C/Disc 2/1.wav", "single.wav"):
        write_tagged(genre / track)
    report = check_catalog(load_catalog(genre, layout="folders"), genre_map=GenreMap(), clip_seconds=1.0)
    assert report.errors == [  # B and C taken for genres with discs for albums: no error per such "genre"
        f"the folders in {genre} are albums, not genres: their audio is in them or in their disc folders (B/CD1/): if "
        f"it is one genre's folder, scan the library folder that holds the genre folders; if the library is "
        f"<genre>/<track>, use layout flat"]
    write_tagged(genre / "D" / "Live" / "1.wav")  # a folder that is no disc: perhaps a genre after all
    assert not any("are albums, not genres" in error for error in check_catalog(
        load_catalog(genre, layout="folders"), genre_map=GenreMap(), clip_seconds=1.0).errors)


def test_a_missing_musicnn_package_is_named_with_its_install_command(monkeypatch):
    import importlib.util

    from spectrogenre.config import kind_requirement, parse_params

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "musicnn" else real_find_spec(name))
    assert kind_requirement(parse_params({"library": "x"})) is None
    assert kind_requirement(parse_params({"library": "x", "model": {"kind": "musicnn"}})) == (
        "model.kind musicnn: the pretrained musicnn weights come from the musicnn package, which is not installed: "
        "pip install --no-deps musicnn==0.1.0 (--no-deps: it pins numpy<1.17)")


WHY = ("their names differ only in case, spaces, punctuation or accents' encoding; to learn it under another name, "
       "map it under source.genres (the suggested genre map lists every genre; only mapped genres are learnt)")


def test_genre_names_written_alike_are_one_genre_said_in_a_note_with_a_complete_suggested_map(tmp_path):
    root = hiphop_library(tmp_path / "lib")
    report = check_catalog(load_catalog(root, layout="folders"), genre_map=GenreMap(), clip_seconds=1.0)
    assert report.ok and report.errors == [] and report.warnings == []
    assert sorted(report.genres) == ["Hip-Hop", "Jazz"] and report.genres["Hip-Hop"]["groups"] == 3
    assert report.genre_notes == [f"'Hip-Hop' (3 tracks) and 'hip hop' (1) are one genre, learned as 'Hip-Hop': {WHY}"]
    assert report.as_dict()["genre_notes"] == report.genre_notes
    assert report.suggested_map == (  # every genre: pasted as it is, it drops none
        "source:\n  genres:\n"
        '    "Hip-Hop": ["hip hop"]  # 4 track(s): keep as a genre, move into another, or delete\n'
        '    "Jazz": []  # 3 track(s): keep as a genre, move into another, or delete\n')
    pasted = GenreMap(yaml.safe_load(report.suggested_map)["source"]["genres"])
    assert {g: len(t) for g, t in load_catalog(root, layout="folders", genre_map=pasted).genres().items()} == {
        "Hip-Hop": 4, "Jazz": 3}
    _, problems = render(report, layout="folders", library=root)
    assert problems.startswith(f"note: {report.genre_notes[0]}\nsuggested genre map")
    assert problems.endswith("ready: the pipeline can train on this library\n")


def test_an_accent_encoded_two_ways_is_named_in_the_note(tmp_path):
    root = tmp_path / "lib"
    for folder, album in [(NFC, "A"), (NFD, "B"), (NFD, "C"), ("Jazz", "J")]:
        write_tagged(root / folder / album / "1.wav")
    report = check_catalog(load_catalog(root, layout="folders"), genre_map=GenreMap(), clip_seconds=1.0)
    assert report.warnings == [] and sorted(report.genres) == sorted(["Jazz", NFD])
    assert report.genre_notes == [(
        f"'{NFD}' (2 tracks; accents decomposed, as macOS writes names) and '{NFC}' (1) are one genre, learned as "
        f"'{NFD}' (decomposed): {WHY}")]


def test_a_tags_library_without_a_map_suggests_every_genre_with_its_spellings(tmp_path):
    lib = tmp_path / "lib"
    for n, genre in enumerate(["Rock", "Rock", "rock", ["ROCK", "rock"], "Jazz"]):
        write_tagged(lib / f"{n}.mp3", genre=genre, album=f"A{n}")
    report = check_catalog(load_catalog(lib, layout="tags"), genre_map=GenreMap(), clip_seconds=1.0)
    assert report.errors[0].startswith("layout tags needs a genre map")
    assert report.suggested_map == (
        "source:\n  genres:\n"
        '    "Rock": ["ROCK", "rock"]  # 4 track(s): keep as a genre, move into another, or delete\n'
        '    "Jazz": []  # 1 track(s): keep as a genre, move into another, or delete\n')
    # names of no letter or digit are not offered as one genre
    assert suggest_map(GenreMap(), Counter({"\u266a": 2, "\u266b": 1})) == (
        "source:\n  genres:\n"
        '    "\u266a": []  # 2 track(s): keep as a genre, move into another, or delete\n'
        '    "\u266b": []  # 1 track(s): keep as a genre, move into another, or delete\n')


def test_a_map_given_decides_and_no_note_is_made(tmp_path):
    root = hiphop_library(tmp_path / "lib")
    genre_map = GenreMap({"hip hop": [], "Jazz": []})  # the folders' names, as the map writes them
    report = check_catalog(load_catalog(root, layout="folders", genre_map=genre_map), genre_map=genre_map,
                           clip_seconds=1.0)
    assert report.ok and sorted(report.genres) == ["Jazz", "hip hop"] and report.genres["hip hop"]["tracks"] == 4
    assert report.genre_notes == [] and report.warnings == [] and report.suggested_map == ""
