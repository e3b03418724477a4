"""Pre-flight checks: everything the pipeline would stop on, found at once from headers and tags.

`spectrogenre scan` prints them; the pipeline's `scan` stage runs the same checks before
any decoding, so a library that cannot train fails in seconds with the whole list. Genre
names that sources.py learns as one (no genre map, names written alike) are said in a note,
and any genre map the report suggests lists every genre, so that pasted as it is it leaves
none out.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from spectrogenre.library.group_names import (
    group_key,
    is_disc_folder,
    one_spelling,
    whole_album,
)
from spectrogenre.library.sources import (
    OUTSIDE_A_GENRE_FOLDER,
    OUTSIDE_AN_ALBUM_FOLDER,
    Catalog,
    GenreMap,
    Track,
)
from spectrogenre.library.tags import genre_key, joined_parts

SPLIT_SETS = ("train", "val", "test")  # the split puts at least one group of every genre in each
# Playlist files, which some keep one per genre beside their music: never read as genres (README: "A playlist per
# genre" makes a manifest of them).
PLAYLIST_SUFFIXES = (".m3u", ".m3u8", ".pls", ".xspf", ".wpl")


@dataclass
class Report:
    """Per genre: tracks, groups, albums, artists, hours; `errors` stop the pipeline, `warnings` do not;
    `genre_notes` say which names written alike are learned as one genre, and as which."""

    genres: dict[str, dict] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (file or manifest row, why): not used
    notes: list[tuple[str, str]] = field(default_factory=list)  # (file, caveat): used all the same
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (file or folder, why): not music, not read
    suggested_map: str = ""
    genre_notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"ok": self.ok, "genres": self.genres, "errors": self.errors, "warnings": self.warnings,
                "left_out": [{"path": where, "problem": why} for where, why in self.left_out],
                "notes": [{"path": where, "note": why} for where, why in self.notes], "ignored": len(self.ignored),
                "suggested_map": self.suggested_map, "genre_notes": self.genre_notes}


def check_catalog(catalog: Catalog, *, genre_map: GenreMap, clip_seconds: float, folds: int = 0,
                  crossval_group: str = "auto", model_requirement: str | None = None) -> Report:
    """The checks the pipeline runs before decoding (see module doc).

    A group counts towards its genre's minimum only if its tracks hold at least one clip
    (`clip_seconds`) by their headers; a track of unknown length is assumed long enough.
    `folds` > 0 adds cross-validation's minimum of `folds` independent groups per genre
    (grouped as `crossval_group` groups them). `model_requirement` is what the model kind
    lacks on this machine, with its fix (None: nothing).
    """
    report = Report(left_out=list(catalog.left_out), notes=list(catalog.notes), ignored=list(catalog.ignored))
    genres = catalog.genres()
    for genre, tracks in genres.items():
        report.genres[genre] = _genre_summary(tracks, clip_seconds=clip_seconds)
    if model_requirement:
        report.errors.append(f"model: {model_requirement}")
    if not catalog.tracks and not catalog.left_out and not catalog.ignored and catalog.layout != "manifest":
        # nothing at all: a wrong path, or a folder the music has not been copied to yet; no map can help
        report.errors.append(f"no audio files found in {catalog.root}: name the folder that holds the music")
        return report
    if catalog.layout == "tags" and not genre_map:
        report.errors.append("layout tags needs a genre map: list the genres to learn and the tag values that count as "
                             "each under source.genres in params.yaml (a suggestion is below)")
    report.errors += catalog.map_conflicts
    for genre in (g for g in genre_map.targets if g not in genres):  # a genre asked for: a model without it is not
        report.errors.append(f"genre '{genre}' of the genre map has no track (a track whose values name it beside "
                             f"another of the map's genres is left out as ambiguous, listed above): map its other "
                             f"values into one of them, or leave the genre out of the map")
    too_deep = _given_a_folder_too_deep(catalog)
    if len(genres) < 2:
        hint = f" ({len(catalog.left_out)} audio file(s) left out: see why above)" if catalog.left_out else ""
        if (len(genres) == 1 and catalog.layout == "folders" and not too_deep
                and next(iter(report.genres.values()))["groups_with_a_clip"] < len(SPLIT_SETS)):
            # a library whose one top folder is a music player's own (iTunes' Music/Media/...), or an artist's
            hint += ("; if the folders here are not genres (artists, or a music player's own folders: iTunes' "
                     "Music/Media), the genres are in the files' tags: use layout tags (`spectrogenre scan "
                     "--layout tags` lists them)")
        report.errors.append(f"{len(genres)} genre(s) with usable tracks ({', '.join(genres) or 'none'}): "
                             f"a classifier needs at least 2{hint}")
    # In the folders layout a group is a folder under the genre's: in <genre>/<artist>/<album> trees, an artist;
    # in trees sorted by decade or year first, a decade.
    fix = {"folders": "add album folders (in <genre>/<artist>/<album> folders each artist is one group: add artists; "
                      "where the folders under the genre's are not albums, as decades or years, layout flat groups "
                      "by the album tags)",
           "manifest": "add albums, fill the manifest's album or artist column"}.get(
        catalog.layout, "add albums, tag the tracks' albums or artists")
    short = sum(summary["groups_with_a_clip"] < len(SPLIT_SETS) for summary in report.genres.values())
    artists_for_genres = (catalog.layout == "folders" and short > 2 and short * 2 > len(report.genres)
                          and not too_deep)
    # A genre's own errors are not told where its name is not yet a genre: albums or artists taken for genres (one
    # error below says so), or a tag library's raw values before its map
    raw_values = catalog.layout == "tags" and not genre_map
    for genre, summary in [] if too_deep or artists_for_genres or raw_values else report.genres.items():
        usable = summary["groups_with_a_clip"]
        if usable < len(SPLIT_SETS):
            named = ", ".join(f"'{g}'" for g in _groups_with_a_clip(genres[genre], clip_seconds=clip_seconds))
            report.errors.append(
                f"genre '{genre}' has {usable} group(s) ({_group_words(summary)}) with at least {clip_seconds:g} s "
                f"of audio{f' ({named})' if named else ''}; the {'/'.join(SPLIT_SETS)} split keeps each group in one "
                f"set and needs "
                f"{len(SPLIT_SETS)}: {fix}, or leave the genre out")
    if artists_for_genres:
        report.errors.append(f"{short} of {len(report.genres)} genre folders have too few albums (fewer than "
                             f"{len(SPLIT_SETS)} groups with a clip each): if the top folders are artists and the "
                             f"genres are in the files' tags, use layout tags (`spectrogenre scan --layout tags` lists "
                             f"the tag values); if they are genres, add albums to them")
    if catalog.layout == "folders":
        report.warnings += _groups_holding_albums(genres)
    if folds and not (too_deep or artists_for_genres or raw_values):
        report.errors += _crossval_errors(genres, folds=folds, group=crossval_group)
    alone_fix = ("fill the manifest's album or artist column for them" if catalog.layout == "manifest"
                 else "tag them, or use a manifest")
    for genre, summary in report.genres.items():
        if summary["grouped_by"].get("track"):
            # flat, untagged tracks in folders under the genre's: those folders are likely albums
            in_folders = catalog.layout == "flat" and any(
                t.grouped_by == "track" and t.name.count("/") >= 2 for t in genres[genre])
            folders_fix = "; where the folders under the genre folder are albums, layout folders groups by them"
            report.warnings.append(
                f"genre '{genre}': {summary['grouped_by']['track']} track(s) have no album or artist tag and are "
                f"grouped alone, so tracks of one album may straddle train and test ({alone_fix}"
                f"{folders_fix if in_folders else ''})")
    if too_deep:
        report.errors.append(too_deep)
    for folder, left_out in [] if too_deep else catalog.empty_genre_folders():  # each folder's error: the one above
        if left_out:  # the user meant a genre here: a model without it is not what they asked for
            report.errors.append(f"genre folder '{folder}' has no usable audio: all {left_out} of its audio file(s) "
                                 f"are left out (listed above); mend them, or move the folder out of the library")
        else:
            report.warnings.append(f"genre folder '{folder}' holds no audio: it is not learned")
    if catalog.layout in ("folders", "flat") and (playlists := [
            where for where, _ in catalog.ignored if "/" not in where and where.lower().endswith(PLAYLIST_SUFFIXES)]):
        report.warnings.append(f"{len(playlists)} playlist(s) beside the genre folders ({', '.join(playlists[:3])}"
                               f"{', ...' if len(playlists) > 3 else ''}) are not read: the genre folders name the "
                               f"genres; for a genre per playlist, list their tracks in a manifest (README: "
                               f"\"A playlist per genre\")")
    for folder, why in catalog.genre_folders_passed_over:
        report.warnings.append(f"genre folder '{folder}' is not learned as a genre of its own: {why}")
    report.genre_notes = _names_learned_as_one(genres)
    if catalog.unmapped:
        beside = catalog.unmapped_beside_placed
        values = ", ".join(f"'{v}' ({n}{_placed_words(beside[v], n)})" for v, n in catalog.unmapped.most_common())
        report.warnings.append(f"genre values not in the genre map, with their track counts: {values}")
    # a value only ever beside one the map places is not suggested as a genre: mapping it could make those tracks
    # ambiguous, or a genre of too few groups
    unplaced = Counter(catalog.unmapped) - catalog.unmapped_beside_placed  # the tracks nothing placed, each
    if unplaced or (not genre_map and (catalog.layout == "tags" or report.genre_notes)):
        report.suggested_map = suggest_map(genre_map, unplaced) if genre_map else first_map(catalog)
    return report


# A folder of albums whose tracks name this many artists is no artist's folder (features aside)
_SUBGENRE_ARTISTS = 3


def _groups_holding_albums(genres: dict[str, list[Track]]) -> list[str]:
    """A warning for each genre (folders layout) most of whose groups, the folders under the genre's, hold their
    tracks two folders down or more (discs aside): a <genre>/<subgenre or decade>/<artist>/<album> tree, where a
    group is a whole subgenre, so the test set is a subgenre or two. (In <genre>/<artist>/<album> trees a group is
    an artist, which keeps an artist's albums in one set, as the README says.)"""
    warnings = []
    for genre, tracks in genres.items():
        deep: dict[str, str] = {}  # group -> a folder two down in it
        albums: dict[str, set[str]] = {}  # group -> its folders one down
        artists: dict[str, set[str]] = {}  # group -> its tracks' artist tags
        for track in tracks:
            parts = track.name.split("/")
            folders = [part for part in parts[2:-1] if not is_disc_folder(part)]
            if len(folders) >= 2:
                deep.setdefault(parts[1], "/".join(folders[:2]))
            if folders:
                albums.setdefault(parts[1], set()).add(folders[0])
            if track.artist:
                artists.setdefault(parts[1], set()).add(group_key(track.artist))
        groups = {track.name.split("/")[1] for track in tracks}
        if len(deep) * 2 > len(groups):
            group = sorted(deep)[0]
            warnings.append(f"genre '{genre}': {len(deep)} of its {len(groups)} groups (the folders under the genre's, "
                            f"each kept whole in one set) hold their tracks two folders down, as {genre}/{group}/"
                            f"{deep[group]}/: where they are subgenres or decades, the test set is one or two of them;"
                            f" layout flat groups by the album tags")
            continue
        # <genre>/<subgenre>/<album>: a group of albums is an artist's where its tracks name one artist, as
        # <genre>/<artist>/<album> trees have them; albums by several artists make it a subgenre (or a label)
        mixed = sorted(group for group in groups if len(albums.get(group, ())) >= 2
                       and len(artists.get(group, ())) >= _SUBGENRE_ARTISTS)
        if len(mixed) * 2 > len(groups):
            group = mixed[0]
            warnings.append(f"genre '{genre}': {len(mixed)} of its {len(groups)} groups (the folders under the genre's, "
                            f"each kept whole in one set) hold albums of several artists, as {genre}/{group}/ holds "
                            f"{len(albums[group])} by {len(artists[group])}: where they are subgenres, the test set is "
                            f"one or two of them; layout flat groups by the album tags")
    return warnings


def _given_a_folder_too_deep(catalog: Catalog) -> str | None:
    """The error for a library given one folder too deep (one genre's folder, or an album's: a new user's first
    try), where every audio file is left out as standing too high for the layout, or stands in an album's disc
    folders (CD1/, CD2/: where a genre's albums would be, so the album is taken for a genre); None otherwise."""
    reasons = {why for _, why in catalog.left_out}
    in_discs = catalog.layout == "folders" and all(is_disc_folder(t.album) for t in catalog.tracks)
    if catalog.tracks and in_discs and reasons <= {OUTSIDE_A_GENRE_FOLDER, OUTSIDE_AN_ALBUM_FOLDER}:
        return (f"the folders in {catalog.root} are albums, not genres: their audio is in them or in their disc "
                f"folders ({catalog.tracks[0].name.rsplit('/', 1)[0]}/): if it is one genre's folder, scan the library "
                f"folder that holds the genre folders; if the library is <genre>/<track>, use layout flat")
    if catalog.tracks or catalog.layout not in ("folders", "flat") or not reasons:
        return None
    if reasons == {OUTSIDE_AN_ALBUM_FOLDER}:
        return (f"every audio file is one folder down in {catalog.root}: if it is one genre's folder, scan the "
                f"library folder that holds the genre folders; if the library is <genre>/<track>, use layout flat; if "
                f"the genres are in the files' tags, use layout tags")
    if reasons <= {OUTSIDE_A_GENRE_FOLDER, OUTSIDE_AN_ALBUM_FOLDER}:
        where = "<genre>/<album>/<track>" if catalog.layout == "folders" else "<genre>/<track>"
        return (f"no audio file stands where layout {catalog.layout} looks for it ({where}) in {catalog.root}: if "
                f"it is one genre's or one album's folder, scan the library folder that holds the genre folders; if "
                f"the genres are in the files' tags, use layout tags")
    return None


def _names_learned_as_one(genres: dict[str, list[Track]]) -> list[str]:
    """A note for each genre whose tracks' names for it differ only in case, spaces, punctuation or accents'
    encoding, learned as one genre (sources.py, no genre map): each name with its tracks, and the one learned.
    A name whose accents are decomposed (macOS's way) beside the same name composed is marked as such."""
    notes = []
    for genre, tracks in genres.items():
        written = Counter(t.genre_written or t.genre for t in tracks)
        if set(written) <= {genre}:
            continue
        names = [genre, *sorted((n for n in written if n != genre), key=lambda n: (-written[n], n))]
        composed = Counter(unicodedata.normalize("NFC", n) for n in names)
        decomposed = {n for n in names if n != (nfc := unicodedata.normalize("NFC", n)) and composed[nfc] > 1}
        shown = []
        for n in names:
            count = str(written[n]) if shown else f"{written[n]} track{'' if written[n] == 1 else 's'}"
            shown.append(f"'{n}' ({count}{'; accents decomposed, as macOS writes names' if n in decomposed else ''})")
        listed = f"{', '.join(shown[:-1])} and {shown[-1]}"
        notes.append(f"{listed} are one genre, learned as '{genre}'{' (decomposed)' if genre in decomposed else ''}: "
                     f"their names differ only in case, spaces, punctuation or accents' encoding; to learn it under "
                     f"another name, map it under source.genres (the suggested genre map lists every genre; only "
                     f"mapped genres are learnt)")
    return notes


def _group_seconds(tracks: list[Track], *, clip_seconds: float) -> dict[str, float]:
    """Seconds per group (names written alike one, as the split takes them: group_names.one_spelling), a track of unknown
    length taken as one clip's."""
    spelling = one_spelling(track.group for track in tracks)
    group_seconds: dict[str, float] = {}
    for track in tracks:
        group = spelling[track.group]
        group_seconds[group] = group_seconds.get(group, 0.0) + (track.seconds if track.seconds is not None
                                                                else clip_seconds)
    return group_seconds


def _groups_with_a_clip(tracks: list[Track], *, clip_seconds: float) -> list[str]:
    """The groups long enough for a clip, sorted: what a genre short of groups has, said by name (a folder of
    decades read as albums shows itself)."""
    return sorted(g for g, seconds in _group_seconds(tracks, clip_seconds=clip_seconds).items() if seconds >= clip_seconds)


def _genre_summary(tracks: list[Track], *, clip_seconds: float) -> dict:
    group_seconds = _group_seconds(tracks, clip_seconds=clip_seconds)
    grouped_by: dict[str, int] = {}
    for track in tracks:
        grouped_by[track.grouped_by] = grouped_by.get(track.grouped_by, 0) + 1
    known = [t.seconds for t in tracks if t.seconds is not None]
    return {
        "tracks": len(tracks),
        "groups": len(group_seconds),
        "groups_with_a_clip": sum(seconds >= clip_seconds for seconds in group_seconds.values()),
        # an album's discs are one, as are names written alike, as in groups
        "albums": len({group_key(whole_album(t.album)) for t in tracks if t.album}),
        "artists": len({group_key(t.artist) for t in tracks if t.artist}),  # written alike, as albums
        "hours": round(sum(known) / 3600, 3),
        "tracks_of_unknown_length": len(tracks) - len(known),
        "grouped_by": grouped_by,
    }


def _group_words(summary: dict) -> str:
    return ", ".join(f"{n} track(s) by {by}" for by, n in summary["grouped_by"].items())


def _crossval_errors(genres: dict[str, list[Track]], *, folds: int, group: str) -> list[str]:
    """Genres with fewer independent groups than folds, grouped as the crossval stage groups them."""
    import pandas as pd

    from spectrogenre.errors import LibraryError
    from spectrogenre.library.groups import clip_groups

    frame = pd.DataFrame([{"genre": t.genre, "group": t.group, "artist": t.artist, "track": t.name}
                          for tracks in genres.values() for t in tracks])
    if frame.empty:
        return []
    try:
        numbers, by = clip_groups(frame, group=group)
    except LibraryError as err:
        return [f"crossval: {err}"]
    more = "artists" if by == "artist" else "albums"
    errors = []
    for genre, rows in frame.assign(number=numbers).groupby("genre"):
        # each independent group's split units (albums, else artists, else tracks), most first
        units = rows.groupby("number")["group"].nunique().sort_values(ascending=False).to_numpy()
        if len(units) < folds:
            errors.append(f"genre '{genre}' has {len(units)} independent group(s) by {by}; {folds}-fold "
                          f"cross-validation needs {folds}: lower crossval.folds or add {more}")
        elif (fewest := _fewest_training_units(units, folds)) < 2:
            better = [k for k in range(folds + 1, len(units) + 1) if _fewest_training_units(units, k) >= 2]
            fixes = ([f"set crossval.folds to {better[0]}"] if better else []) + (
                ["crossval.group album (folds of albums, an artist's in several)"] if by == "artist" else []) + [
                f"add {more}", "crossval.folds 0 (no cross-validation)"]
            errors.append(f"genre '{genre}' has {len(units)} independent group(s) by {by}; in {folds}-fold "
                          f"cross-validation a fold may train on {fewest} of its albums (or of its artists or tracks, "
                          f"where albums are not known), and choosing the model inside a fold by grouped "
                          f"cross-validation needs 2: {', or '.join(fixes)}")
    return errors


def _placed_words(placed: int, tracks: int) -> str:
    """What the unmapped-values warning adds for a value on `tracks` tracks, `placed` of which another value placed."""
    if not placed:
        return ""
    return ", each track placed by another of its values" if placed == tracks else f", {placed} placed by another value"


def _fewest_training_units(units, folds: int) -> int:
    """The fewest split units (albums, else artists, else tracks) of a genre a cross-validation fold can train on:
    assign_folds spreads the genre's independent groups (`units`: each one's units, most first) evenly, so a fold
    tests at most ceil(groups / folds) of them, at worst the largest."""
    return int(units.sum() - units[: -(-len(units) // folds)].sum())


def first_map(catalog: Catalog) -> str:
    """The `source:` block suggested for a library read without a genre map, which, pasted as it is, leaves no genre
    without a track. Every value some track holds alone is offered as a genre, its spellings together (the most
    used first), with the tracks the map would give it: its own, and those whose other values no track holds alone
    (they count under it). A tag or manifest value that joins others with `/` or `,` (ID3v2.3's "Rock/Alternative")
    is listed under the one genre among its parts, as the map would place it; one joining two genres ("Pop/Rock") is
    offered whole, as is every genre folder.
    Values never a track's only one are said in a comment, not offered (those tracks would be ambiguous, and the
    genre left with none); so are the tracks naming two offered genres, left out as ambiguous."""
    def key(value: str) -> str:
        return genre_key(value) or value  # a name of no letter or digit is its own

    spellings: dict[str, Counter] = {}
    for track in catalog.tracks:
        written = track.genre_written or track.genre
        spellings.setdefault(key(written), Counter())[written] += 1
    offered = {k: max(sorted(c), key=c.__getitem__) for k, c in spellings.items()}  # its most used spelling
    home = {k: k for k in offered}
    # "Rock/Alternative" under Rock, "Pop/Rock" whole: a tag's joined values; a folder's name is the user's own genre
    for k, name in offered.items() if catalog.layout in ("tags", "manifest") else ():
        parts = {key(part) for part in joined_parts(name)} & offered.keys() - {k}
        if len(joined_parts(name)) > 1 and len(parts) == 1:
            home[k] = parts.pop()
    tracks = Counter({k: sum(c.values()) for k, c in spellings.items()})
    for values in catalog.several:  # a track none of whose values is offered: its first (its tag's main genre) is
        if not any(key(v) in home for v in values):
            spellings.setdefault(key(values[0]), Counter())
            offered[key(values[0])] = values[0]
            home[key(values[0])] = key(values[0])
    beside, alone_nowhere, ambiguous = Counter(), Counter(), Counter()
    for values, n in catalog.several.items():
        named = {home[key(v)] for v in values if key(v) in home}
        if len(named) > 1:
            ambiguous["; ".join(values)] += n
        else:
            beside[named.pop()] += n
            alone_nowhere.update({v: n for v in values if key(v) not in home})
    totals = Counter()
    for k in offered:
        totals[home[k]] += tracks[k] + beside[k]
    lines = ["source:", "  genres:"]
    for k in sorted((k for k in offered if home[k] == k), key=lambda k: (-totals[k], offered[k])):
        values = [v for v in sorted(spellings[k], key=lambda v: (-spellings[k][v], v)) if v != offered[k]]
        values += [offered[j] for j in sorted(offered, key=offered.get) if home[j] == k and j != k]
        values += [v for j in sorted(offered) if home[j] == k and j != k for v in sorted(spellings[j])
                   if v != offered[j]]
        with_others = f", {beside[k]} of them beside other values" if beside[k] else ""
        lines.append(f"    {json.dumps(offered[k], ensure_ascii=False)}: {json.dumps(values, ensure_ascii=False)}"
                     f"  # {totals[k]} track(s){with_others}: keep as a genre, move into another, or delete")
    for value, n in sorted(alone_nowhere.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"    # {json.dumps(value, ensure_ascii=False)} ({n} track(s)) is never a track's only genre: not "
                     f"offered; its tracks count under their other genre")
    if ambiguous:
        example = max(sorted(ambiguous), key=ambiguous.__getitem__)
        lines.append(f"    # {sum(ambiguous.values())} track(s) name two of these genres (as "
                     f"{json.dumps(example, ensure_ascii=False)}): left out as ambiguous (a track is learned as one "
                     f"genre)")
    return "\n".join(lines) + "\n"


def suggest_map(genre_map: GenreMap, unmapped) -> str:
    """A `source:` block for params.yaml: the map as it is, with every unmapped value placed.

    A value goes to the one genre whose name it contains or is contained in ('Alt. Rock' ->
    rock), otherwise it is offered as a genre of its own, to keep, merge or delete.
    Values that are one genre_key are offered together. Counts are tracks.
    """
    targets = {genre: list(values) for genre, values in genre_map.targets.items()}
    counts = {genre: 0 for genre in targets}
    new: dict[str, list[str]] = {}
    new_counts: dict[str, int] = {}
    for value, count in sorted(unmapped.items(), key=lambda item: (-item[1], item[0])):
        key = genre_key(value)
        homes = [g for g in targets if key and (genre_key(g) in key or key in genre_key(g))]
        if len(homes) == 1:
            targets[homes[0]].append(value)
            counts[homes[0]] += count
            continue
        home = next((g for g in new if key and genre_key(g) == key), value)
        new.setdefault(home, [])
        if home != value:
            new[home].append(value)
        new_counts[home] = new_counts.get(home, 0) + count
    lines = ["source:", "  genres:"]
    for genre, values in targets.items():
        note = f"  # +{counts[genre]} track(s) suggested" if counts[genre] else ""
        lines.append(f"    {json.dumps(genre, ensure_ascii=False)}: {json.dumps(values, ensure_ascii=False)}{note}")
    for genre, values in new.items():
        lines.append(f"    {json.dumps(genre, ensure_ascii=False)}: {json.dumps(values, ensure_ascii=False)}"
                     f"  # {new_counts[genre]} track(s): keep as a genre, move into another, or delete")
    return "\n".join(lines) + "\n"
