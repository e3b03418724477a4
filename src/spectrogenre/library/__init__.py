"""A music library as the pipeline sees it: where its tracks are, their genre and group, their tags.

sources: the four ways a library names its genres (folders, flat folders, tags, a manifest),
and the genre each track is learned as (names written alike are one without a genre map);
tags: reading genre, album and artist tags; checks: the pre-flight checks `scan` and the
pipeline run before any decoding; tagging: writing predicted genres back into files.
"""
