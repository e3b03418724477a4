import io

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from spectrogenre.server.app import create_app
from spectrogenre.server.settings import ServerSettings
from tests.synth import clicks


@pytest.fixture
def client(tiny_project):
    settings = ServerSettings(export_dir=tiny_project / "data/export", max_upload_mb=1)
    with TestClient(create_app(settings)) as client:
        yield client


def wav_bytes(audio, sr=8000) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, audio, sr, format="WAV")
    return buffer.getvalue()


def test_health_and_model_description(client):
    assert client.get("/api/health").json() == {"status": "ok", "genres": 3, "max_duration_s": 600.0,
                                                "max_upload_mb": 1.0}
    model = client.get("/api/model").json()
    assert model["labels"] == ["Clicks", "Drone", "Noise"]
    assert model["frontend"]["shape"] == [129, 126]
    assert set(model["metrics"]["clip"]) == {"train", "val", "test"}
    assert client.get("/openapi.json").json()["paths"].keys() >= {"/api/classify", "/api/model", "/api/health"}


def test_an_export_loaded_before_the_server_starts_is_not_loaded_again(tiny_project, monkeypatch):
    # `serve` loads the export to name a damaged one before uvicorn starts; its startup loaded it a second time
    from spectrogenre.inference import ExportedModel

    export = tiny_project / "data/export"
    exported = ExportedModel.load(export, copies=2)
    monkeypatch.setattr(ExportedModel, "load", lambda *a, **k: pytest.fail("loaded again"))
    with TestClient(create_app(ServerSettings(export_dir=export, workers=2), exported)) as client:
        track = (tiny_project / "library" / "Noise" / "Album 0" / "01 Track.wav").read_bytes()
        assert client.post("/api/classify", files={"file": ("t.wav", track, "audio/wav")}).json()["genre"] == "Noise"


def test_classify_an_uploaded_recording(client, tiny_project):
    track = (tiny_project / "library" / "Noise" / "Album 0" / "01 Track.wav").read_bytes()
    response = client.post("/api/classify", files={"file": ("track.wav", track, "audio/wav")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["genre"] == "Noise"
    assert abs(sum(body["probabilities"].values()) - 1) < 1e-3
    assert [w["start_s"] for w in body["windows"]] == [1.5, 2.5, 3.5, 4.5, 5.5][: len(body["windows"])]


def test_a_blob_named_upload_is_recognised_by_its_type(client):
    response = client.post("/api/classify", files={"file": ("blob", wav_bytes(clicks(5.0)), "audio/wav")})
    assert response.status_code == 200 and response.json()["genre"] in {"Clicks", "Drone", "Noise"}


@pytest.mark.parametrize("name, content, kind, status, message", [
    ("empty.wav", b"", "audio/wav", 400, "empty.wav: empty upload, no bytes received"),
    ("notes.txt", b"hello", "text/plain", 415, "notes.txt: unsupported file type .txt"),
    ("song", b"ID3", "application/octet-stream", 415, "song: unsupported file type application/octet-stream"),
    ("junk.mp3", b"\xff\xfb" + bytes(500), "audio/mpeg", 422, "junk.mp3: cannot be decoded"),
    ("short.wav", wav_bytes(clicks(0.5)), "audio/wav", 422, "short.wav: too short: 0.5 s of audio"),
])
def test_bad_uploads_get_a_clear_json_error(client, name, content, kind, status, message):
    response = client.post("/api/classify", files={"file": (name, content, kind)})
    assert response.status_code == status
    assert response.json()["detail"].startswith(message)
    assert set(response.json()) == {"error", "detail"} and "/tmp" not in response.json()["detail"]


def test_a_quote_in_a_file_name_is_named_as_its_owner_wrote_it():
    # browsers and curl send '"' in a multipart file name as %22 (HTML's form encoding): an error said
    # 'My %22Best%22 Song.mp3: too short'
    from spectrogenre.server.errors import client_file_name

    assert client_file_name("My %22Best%22 Song.mp3") == 'My "Best" Song.mp3'
    assert client_file_name("100% pure.mp3") == "100% pure.mp3"  # no other escape is undone
    assert client_file_name("") == "upload"
    assert client_file_name("../../etc/x.mp3") == "x.mp3"
    long_name = "a" * 250 + "b" * 1000 + ".mp3"  # longer than any file system's names: its start and end said
    assert client_file_name(long_name) == "a" * 200 + "..." + "b" * 36 + ".mp3"
    assert client_file_name("c" * 251 + ".mp3") == "c" * 251 + ".mp3"  # 255: a name a file can have


@pytest.mark.parametrize("content_type, suffix", [
    ("audio/x-aiff", ".aiff"), ("audio/aiff", ".aiff"), ("audio/x-ms-wma", ".wma"), ("video/mp4", ".mp4"),
    ("audio/vnd.wave", ".wav"), ("audio/x-wavpack", ".wv"), ("audio/mpeg3", ".mp3"), ("audio/x-aac; codecs=x", ".aac"),
    ("video/quicktime", ".mp4"), ("video/x-matroska", ".mka"), ("audio/ac3", ".ac3"), ("audio/x-caf", ".caf"),
])
def test_an_upload_without_a_suffix_is_taken_by_each_name_its_type_goes_by(content_type, suffix):
    from types import SimpleNamespace

    from spectrogenre.server.api import upload_suffix

    assert upload_suffix(SimpleNamespace(filename="blob", content_type=content_type)) == suffix


def test_a_file_named_only_by_its_extension_is_taken_as_that_format(client):
    # to pathlib ".wav" is a hidden file's name with no suffix: it was refused as "unsupported file type
    # application/octet-stream", curl's type for any file
    response = client.post("/api/classify", files={"file": (".wav", wav_bytes(clicks(5.0)), "application/octet-stream")})
    assert response.status_code == 200, response.json()


def test_a_malformed_multipart_body_gets_one_answer_saying_so_and_no_stray_line_on_stderr(client, capfd):
    # a part's head line ending in CR alone: python-multipart printed its own words bare on stderr, and the answer
    # was Starlette's "Invalid multipart data."
    body = b'--B\r\nContent-Disposition: form-data; name="file"; filename="x.wav"\rl\n\r\nRIFF\r\n--B--\r\n'
    response = client.post("/api/classify", content=body, headers={"content-type": "multipart/form-data; boundary=B"})
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "detail": "malformed multipart/form-data body (a part's head or "
                                                                 "a boundary is broken): send the recording as part "
                                                                 "'file' (curl -F file=@song.mp3)"}
    assert "Did not find LF" not in capfd.readouterr().err


def test_a_truncated_upload_is_refused(client):
    data = wav_bytes(clicks(5.0))
    response = client.post("/api/classify", files={"file": ("cut.wav", data[: len(data) // 2], "audio/wav")})
    assert response.status_code == 422
    assert "truncated" in response.json()["detail"]


def test_uploads_over_the_limit_get_413(client):
    big = wav_bytes(np.zeros(8000 * 70, dtype=np.float32))  # 1.1 MB of 16-bit audio > 1 MB
    response = client.post("/api/classify", files={"file": ("big.wav", big, "audio/wav")})
    assert response.status_code == 413
    assert response.json()["detail"] == "big.wav: upload larger than 1 MB"


def test_model_files_are_served_and_nothing_else(client):
    assert client.get("/model/spec.json").json()["labels"] == ["Clicks", "Drone", "Noise"]
    assert client.get("/model/model.tflite").content[4:8] == b"TFL3"
    assert client.get("/model/report.json").status_code == 404
    # revalidated on every use: a browser must not keep one export's model beside another's spec
    assert {client.get(f"/model/{name}").headers["cache-control"] for name in ("spec.json", "model.tflite")} == {
        "no-cache"}


def test_uploads_are_not_kept(client, tmp_path, monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client.post("/api/classify", files={"file": ("c.wav", wav_bytes(clicks(5.0)), "audio/wav")})
    assert list(tmp_path.iterdir()) == []


def test_silence_gets_no_music_heard_and_doubt_says_unsure(client, tiny_project):
    response = client.post("/api/classify", files={"file": ("quiet.wav", wav_bytes(np.zeros(8000 * 20, np.float32)),
                                                            "audio/wav")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["genre"], body["confidence"], body["probabilities"], body["top"]) == (
        "no music heard", "no music heard", None, {}, [])
    track = (tiny_project / "library" / "Noise" / "Album 0" / "01 Track.wav").read_bytes()
    body = client.post("/api/classify", files={"file": ("track.wav", track, "audio/wav")}).json()
    sure = body["confidence"] >= 0.5  # the tiny model is not always sure: either way the answer says which
    assert (body["top"][0]["genre"], body["top"][0]["probability"], body["unsure_below"]) == (
        "Noise", body["confidence"], 0.5)
    # predict's JSON for the same file: the same genre field, a genre never given below the threshold
    assert (body["status"], body["genre"]) == (("genre", "Noise") if sure else ("unsure", "unsure"))
    assert client.get("/api/model").json()["verdict"]["unsure_below"] == 0.5


def test_the_docs_page_loads_nothing_from_another_site(client):
    import re

    page = client.get("/docs").text
    urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]|url: ?['"]([^'"]+)['"]""", page)
    assert urls and all(u.startswith("/") for pair in urls for u in pair if u), urls
    for pair in urls:
        for url in filter(None, pair):
            assert client.get(url).status_code == 200, url


def test_the_service_worker_caches_every_file_of_the_app_at_install(client):
    import re

    from spectrogenre.server.app import STATIC

    answer = client.get("/sw.js")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/javascript")
    shell = re.findall(r"'([^']+)'", re.search(r"const SHELL = \[(.*)\];", answer.text)[1])
    app_files = {p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file()}
    expected = {name for name in app_files if name != "sw.js" and not name.startswith("vendor/")}
    assert "js/app.js" in expected and "icons/icon-192.png" in expected
    assert shell[0] == "./" and set(shell[1:]) == expected
    for name in shell:
        assert client.get(f"/{name}").status_code == 200, name


def test_steady_noise_gets_no_music_heard_from_the_api(tiny_project, tmp_path):
    from tests.synth import colored_noise
    from tests.test_predict import export_with_steady_rule

    settings = ServerSettings(export_dir=export_with_steady_rule(tiny_project, tmp_path / "export"), max_upload_mb=1)
    with TestClient(create_app(settings)) as client:
        noise = colored_noise(20.0, exponent=1, sr=8000, level_db=-25)
        body = client.post("/api/classify", files={"file": ("fan.wav", wav_bytes(noise), "audio/wav")}).json()
        assert (body["status"], body["genre"], body["probabilities"], body["top"]) == (
            "no music heard", "no music heard", {}, [])
        assert {window["genre"] for window in body["windows"]} == {"no music heard"}


def test_an_upload_without_a_file_name_is_told_what_to_send(tiny_project):
    expected = {"error": "bad_request", "detail": "the 'file' part has no file name, so it reads as "
                                                  "text, not a file: send it with its name (curl -F file=@song.mp3)"}
    with TestClient(create_app(ServerSettings(export_dir=tiny_project / "data/export", max_upload_mb=5))) as client:
        response = client.post("/api/classify", files={"file": ("", wav_bytes(clicks(5.0)), "audio/wav")})
        assert (response.status_code, response.json()) == (400, expected)
        # 1.1 MB, past Starlette's limit for a text part: it stops reading there
        response = client.post("/api/classify", files={"file": ("", wav_bytes(clicks(70.0)), "audio/wav")})
        assert (response.status_code, response.json()) == (400, expected | {
            "detail": "a text part over 1 MB (a part without a file name reads as text): send the recording as part "
                      "'file' with its file name (curl -F file=@song.mp3)"})


def test_two_files_in_one_request_are_refused_not_half_answered(client):
    upload = ("a.wav", wav_bytes(clicks(5.0)), "audio/wav")
    response = client.post("/api/classify", files=[("file", upload), ("file", upload)])
    assert (response.status_code, response.json()) == (400, {
        "error": "bad_request", "detail": "2 'file' parts in one request: send one recording per request"})


def test_head_is_answered_where_get_is(tiny_project):
    with TestClient(create_app(ServerSettings(export_dir=tiny_project / "data/export"))) as client:
        for path in ("/api/health", "/api/model", "/model/spec.json", "/docs", "/"):
            assert (path, client.head(path).status_code) == (path, 200)
        assert client.head("/api/classify").status_code == 405


def test_an_api_path_with_a_trailing_slash_is_answered_as_the_path(client, tiny_project):
    track = (tiny_project / "library" / "Noise" / "Album 0" / "01 Track.wav").read_bytes()
    response = client.post("/api/classify/", files={"file": ("track.wav", track, "audio/wav")})
    assert (response.status_code, response.json()["genre"]) == (200, "Noise")
    assert client.get("/api/health/").json()["status"] == "ok"
    wrong = client.get("/api/classify/")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")  # the API's own answer, naming the method
    assert client.get("/api/nothing/").status_code == 404


def test_the_work_of_a_client_that_went_away_is_marked_to_stop():
    import asyncio
    import threading

    from spectrogenre.server.api import _set_when_disconnected

    class Request:  # after the body: an empty request message may come, then the disconnect
        def __init__(self):
            self.messages = iter([{"type": "http.request", "body": b"", "more_body": False},
                                  {"type": "http.disconnect"}])

        async def receive(self):
            return next(self.messages)

    gone = threading.Event()
    asyncio.run(_set_when_disconnected(Request(), gone))
    assert gone.is_set()



def cut_short_ogg(seconds: float = 20.0) -> bytes:
    """An Ogg Vorbis file of clicks whose download stopped half way: its pages decode up to the cut."""
    buffer = io.BytesIO()
    sf.write(buffer, clicks(seconds, sr=16000), 16000, format="OGG", subtype="VORBIS")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def predicts_warnings(folder, name: str, data: bytes) -> list[str]:
    """The warnings predict prints (the log's lines) for a file `name` holding `data`, without the folder."""
    import logging

    from spectrogenre.audio_io import read_mono

    path = folder / name
    path.write_bytes(data)
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logging.getLogger("spectrogenre.audio_io").addHandler(handler)
    try:
        read_mono(path, sample_rate=16000)
    finally:
        logging.getLogger("spectrogenre.audio_io").removeHandler(handler)
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return [line.replace(f"{path}: ", f"{name}: ", 1) for line in lines]


def test_the_work_of_a_client_that_went_away_is_logged_as_499(client, monkeypatch, caplog):
    import logging

    from spectrogenre.errors import WorkCancelled
    from spectrogenre.server import api

    def went_away(path, exported, *, limits):  # as the decoder stops when the client's connection closes
        raise WorkCancelled(path, "stopped: no one waits for the answer any more")

    monkeypatch.setattr(api, "classify_file", went_away)
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        client.post("/api/classify", files={"file": ("gone.wav", wav_bytes(clicks(5.0)), "audio/wav")})
    assert [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"] == [
        'testclient:50000 - "POST /api/classify HTTP/1.1" 499']


def test_a_client_that_leaves_part_way_through_its_upload_is_logged_as_499(client, caplog):
    import asyncio
    import logging

    body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="mid.wav"\r\nContent-Type: audio/wav\r\n\r\n'
            + wav_bytes(clicks(5.0)) + b"\r\n--B--\r\n")
    messages = [{"type": "http.request", "body": body[:1000], "more_body": True}, {"type": "http.disconnect"}]
    sent = []

    async def receive():
        return messages.pop(0) if messages else await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/classify", "raw_path": b"/api/classify", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"multipart/form-data; boundary=B"),
                         (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 50001), "server": ("127.0.0.1", 8000)}
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        asyncio.run(asyncio.wait_for(client.app(scope, receive, send), timeout=30))
    # uvicorn logs an answer as it sends one, and sends none to a closed connection: the line is the server's own
    assert [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"] == [
        '127.0.0.1:50001 - "POST /api/classify HTTP/1.1" 499']


def test_an_upload_that_decodes_with_a_warning_gets_its_verdict_and_the_warning_by_its_own_name(client, tmp_path,
                                                                                                 caplog):
    cut = cut_short_ogg()
    with caplog.at_level("WARNING", logger="spectrogenre.audio_io"):
        response = client.post("/api/classify", files={"file": ("half a song.ogg", cut, "audio/ogg")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["genre"] in {"Clicks", "Drone", "Noise"}
    [warning] = body["warnings"]
    assert warning.startswith("half a song.ogg: the Ogg stream stops without its end-of-stream mark, so the file is "
                              "cut short (a copy or download that stopped): only its first ")
    assert "/tmp" not in warning and "upload" not in warning
    # the server's log keeps its line: the temporary copy it decoded, the upload's own name and its client, as the
    # access log names it
    [logged] = [record.getMessage() for record in caplog.records]
    assert logged.startswith("/") and "/upload.ogg (half a song.ogg from testclient:50000): " in logged
    assert logged.split(" (half a song.ogg from testclient:50000): ", 1)[1] == warning.removeprefix("half a song.ogg: ")
    # in the words predict prints for the same file, the upload's own name where predict names the path
    assert body["warnings"] == predicts_warnings(tmp_path, "half a song.ogg", cut)


def test_a_clean_upload_has_no_warnings(client):
    buffer = io.BytesIO()
    sf.write(buffer, clicks(20.0, sr=16000), 16000, format="OGG", subtype="VORBIS")  # whole: its end mark is there
    for name, data, kind in [("whole.ogg", buffer.getvalue(), "audio/ogg"),
                             ("c.wav", wav_bytes(clicks(5.0)), "audio/wav")]:
        response = client.post("/api/classify", files={"file": (name, data, kind)})
        assert (response.status_code, response.json()["warnings"]) == (200, []), name


def test_the_schema_states_the_answers_warnings(client):
    schema = client.get("/openapi.json").json()
    answer = schema["paths"]["/api/classify"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    fields = schema["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]
    assert fields["properties"]["warnings"]["type"] == "array"
    assert fields["properties"]["warnings"]["items"] == {"type": "string"}
    assert {"status", "genre", "confidence", "warnings"} <= set(fields["required"])


def test_uploads_classified_at_once_each_get_only_their_own_warnings(tiny_project, tmp_path, monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from spectrogenre.server import api

    loud = io.BytesIO()  # a float WAV four times over full scale: a warning of another kind
    sf.write(loud, 4 * clicks(10.0), 8000, format="WAV", subtype="FLOAT")
    uploads = {"first cut.ogg": cut_short_ogg(20.0), "loud.wav": loud.getvalue(),
               "second cut.ogg": cut_short_ogg(30.0), "clean.wav": wav_bytes(clicks(5.0))}
    expected = {name: predicts_warnings(tmp_path, name, data) for name, data in uploads.items()}
    assert [len(expected[name]) for name in uploads] == [1, 1, 1, 0], expected
    # every upload's decode, its warnings with it, is done before any request answers: the work overlaps
    together = threading.Barrier(len(uploads), timeout=120)
    classify_file = api.classify_file

    def classified_together(*args, **kwargs):
        try:
            return classify_file(*args, **kwargs)
        finally:
            together.wait()

    monkeypatch.setattr(api, "classify_file", classified_together)
    settings = ServerSettings(export_dir=tiny_project / "data/export", workers=len(uploads))
    with TestClient(create_app(settings)) as client, ThreadPoolExecutor(len(uploads)) as pool:
        answers = dict(zip(uploads, pool.map(
            lambda name: client.post("/api/classify", files={"file": (name, uploads[name], "audio/x")}), uploads)))
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
    assert {name: answer.json()["warnings"] for name, answer in answers.items()} == expected


def test_the_busy_servers_retry_after_counts_classifications_only(client, monkeypatch):
    """Retry-After estimates how long the workers take to get through the requests inside from the mean time a
    classification takes on a worker: instant refusals (a 415) and time spent queued are not classifications."""
    from spectrogenre.server import api

    admission = client.app.state.admission
    assert client.post("/api/classify", files={"file": ("notes.txt", b"hello", "text/plain")}).status_code == 415
    assert admission.mean_seconds is None
    clock = iter([100.0, 106.0])  # the classification's start and end: 6 s on a worker
    monkeypatch.setattr(api, "monotonic", lambda: next(clock))
    reply = client.post("/api/classify", files={"file": ("t.wav", wav_bytes(clicks(3.0)), "audio/wav")})
    assert reply.status_code == 200
    assert admission.mean_seconds == 6.0
    admission.inside = 2 * admission.workers  # every worker busy and as many queued: two rounds of 6 s
    assert admission.retry_after_s() == 12
