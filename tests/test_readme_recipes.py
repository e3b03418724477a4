"""The shell recipes the README gives, run as a user would paste them."""

import re
import subprocess
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_playlists_to_manifest_recipe_keeps_every_track_and_playlist_name(tmp_path):
    block = re.search(r"```bash\n(cd ~/Music/Playlists && .*?> playlists\.tsv)\n", README.read_text(), re.DOTALL)[1]
    (tmp_path / "R&B.m3u8").write_bytes(b"\xef\xbb\xbf#EXTM3U\r\n#EXTINF:215,A - B\r\n../a b.mp3\r\n\r\n../c&d.mp3")
    (tmp_path / "Drum|Bass.m3u8").write_text("../e|f.mp3\n../ lead.mp3\n")
    subprocess.run(["bash", "-c", block.replace("~/Music/Playlists", str(tmp_path))], check=True)
    assert (tmp_path / "playlists.tsv").read_text().splitlines() == [
        "path\tgenre", "../e|f.mp3\tDrum|Bass", "../ lead.mp3\tDrum|Bass", "../a b.mp3\tR&B", "../c&d.mp3\tR&B"]
