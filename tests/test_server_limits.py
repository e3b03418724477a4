"""The server under load and hostile input, on loopback: a real `spectrogenre serve` process (memory capped at
3 GB by the test), small sizes, every wait bounded. Full-size figures: bench/server_load.py."""

from __future__ import annotations

import io
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager

import numpy as np
import pytest
import soundfile as sf

from tests.synth import clicks

MEMORY_CAP = 3 << 30  # the server under test dies (MemoryError) rather than take the machine down
LIMITS = {"--max-upload-mb": "1", "--max-duration": "60", "--time-limit": "20", "--workers": "2", "--queue": "2"}


def wav_bytes(audio, sr=8000, subtype="PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, audio, sr, format="WAV", subtype=subtype)
    return buffer.getvalue()


def multipart(name: str, data: bytes, kind: str = "audio/wav") -> tuple[bytes, str]:
    boundary = "spectrogenre-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: {kind}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post(port: int, name: str, data: bytes, kind: str = "audio/wav", timeout: float = 60) -> tuple[int, dict, dict]:
    body, content_type = multipart(name, data, kind)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/classify", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(export_dir, extra: tuple[str, ...] = (), **env):
    port = free_port()
    args = [sys.executable, "-c", "from spectrogenre.cli import app; app()", "serve", "--model", str(export_dir),
            "--port", str(port)] + [x for item in LIMITS.items() for x in item] + list(extra)
    process = subprocess.Popen(args, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    resource.prlimit(process.pid, resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))  # set while it is still importing
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1).read()
                break
            except OSError:
                assert process.poll() is None, "the server exited at start"
                time.sleep(0.25)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def server(tiny_project):
    with serving(tiny_project / "data/export", SPECTROGENRE_HEAD_TIMEOUT_S="1", SPECTROGENRE_BODY_TIMEOUT_S="2") as s:
        yield s


def test_concurrent_uploads_are_all_answered_200_or_503_with_retry_after(server, tiny_project):
    port, process = server
    track = (tiny_project / "library" / "Noise" / "Album 0" / "01 Track.wav").read_bytes()
    answers = [None] * 16
    threads = [threading.Thread(target=lambda i=i: answers.__setitem__(i, post(port, "track.wav", track)))
               for i in range(len(answers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = [a[0] for a in answers]
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 1, statuses
    ok = [a[2] for a in answers if a[0] == 200]
    assert all(body["probabilities"] == ok[0]["probabilities"] for body in ok)  # no interpreter shared mid-request
    for status, headers, body in answers:
        if status == 503:
            assert int(headers["retry-after"]) >= 1 and body["error"] == "busy"
            assert body["detail"] == "track.wav: busy: every worker and queue place is taken, try again shortly"
    assert process.poll() is None


@pytest.mark.parametrize("rate", [1_000_000_000, 1])
def test_a_wav_whose_header_lies_about_its_rate_is_refused_at_once(server, rate):
    data = bytearray(wav_bytes(clicks(5.0)))
    data[24:28] = rate.to_bytes(4, "little")  # the fmt chunk's sample rate
    started = time.monotonic()
    status, _, body = post(server[0], "lie.wav", bytes(data))
    assert (status, body["error"]) == (422, "unusable_audio")
    assert f"header claims a sample rate of {rate:,} Hz" in body["detail"] and "/tmp" not in body["detail"]
    assert time.monotonic() - started < 15


def test_hours_of_silence_in_a_small_flac_get_413_without_decoding_them(server, tmp_path):
    path = tmp_path / "long.flac"
    with sf.SoundFile(path, "w", samplerate=8000, channels=1, format="FLAC", subtype="PCM_16") as out:
        for _ in range(30):  # 2 hours of digital silence: a few hundred KB
            out.write(np.zeros(8000 * 240, dtype=np.int16))
    assert path.stat().st_size < 1 << 20
    status, _, body = post(server[0], "long.flac", path.read_bytes(), "audio/flac")
    assert status == 413 and body == {"error": "too_large", "detail": "long.flac: more than the 60 s of audio this "
                                                                      "server classifies per upload"}


def test_a_long_opus_is_stopped_while_it_streams_from_ffmpeg(server, tmp_path):
    import shutil

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    path = tmp_path / "long.opus"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "600", "-b:a",
                    "6k", str(path)], check=True)
    status, _, body = post(server[0], "long.opus", path.read_bytes(), "audio/opus")
    assert (status, body["error"]) == (413, "too_large")
    for _ in range(20):  # its decoder is killed with the answer, not left to the 20 s time limit
        if not child_commands(server[1].pid) & {"ffmpeg", "ffprobe"}:
            break
        time.sleep(0.1)
    assert not child_commands(server[1].pid) & {"ffmpeg", "ffprobe"}


def child_commands(pid: int) -> set[str]:
    """The command names of a process's live children (zombies are reaped, not counted)."""
    names = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as children:
            for child in children.read().split():
                try:
                    with open(f"/proc/{child}/stat") as stat:
                        fields = stat.read()
                except FileNotFoundError:
                    continue
                if fields.rsplit(")", 1)[1].split()[0] != "Z":
                    names.add(fields[fields.index("(") + 1:fields.rindex(")")])
    return names


def test_connections_past_the_maximum_get_a_json_503_and_the_maximum_is_served(tiny_project):
    with serving(tiny_project / "data/export", extra=("--max-connections", "2")) as (port, _):
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)  # one connection open, doing nothing
        second = raw_request(port, b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert read_response(second).startswith(b"HTTP/1.1 200 ")
        third = socket.create_connection(("127.0.0.1", port), timeout=10)
        fourth = raw_request(port, b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")  # 3 open: one too many
        head, body = read_response(fourth).split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in head.lower()
        assert json.loads(body)["error"] == "busy" and "--max-connections" in json.loads(body)["detail"]
        for sock in (idle, second, third, fourth):
            sock.close()


def raw_request(port: int, head: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head)
    return sock


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_chunked_body_past_the_limit_gets_a_complete_413_at_once(server):
    port = server[0]
    body, content_type = multipart("big.wav", b"")
    preamble = body[: body.index(b"\r\n\r\n") + 4]  # the file part's head; its content follows in chunks
    sock = raw_request(port, (f"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n").encode()
                       + f"{len(preamble):x}\r\n".encode() + preamble + b"\r\n")
    sent, chunk = 0, f"{64 << 10:x}\r\n".encode() + bytes(64 << 10) + b"\r\n"
    sock.setblocking(False)
    answered_after, pending = None, chunk
    while sent < 64 << 20:  # up to 64 MB against a 1 MB limit
        try:
            n = sock.send(pending)
            sent, pending = sent + n, pending[n:] or chunk
        except BlockingIOError:
            time.sleep(0.005)
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            if sock.recv(1, socket.MSG_PEEK):
                answered_after = sent
                break
        except BlockingIOError:
            pass
    sock.setblocking(True)
    response = read_response(sock)
    head, _, payload = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(payload) == {"error": "too_large", "detail": "big.wav: upload larger than 1 MB"}
    # answered once the limit was passed, not at the end of the body (the rest: loopback's socket buffers)
    assert answered_after is not None and answered_after <= 16 << 20, answered_after


def test_a_stated_length_past_the_limit_gets_a_413_naming_the_file_after_its_first_bytes(server):
    """curl -F file=@big.wav asks "Expect: 100-continue" for a large body: the server reads the body's first bytes,
    which name the file, and answers without the rest (the drain after a 413 is bounded: LINGER_S)."""
    port = server[0]
    body, content_type = multipart("Big Song.wav", bytes(3 << 20))
    sock = raw_request(port, (f"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                              f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n").encode())
    assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
    sock.sendall(body[:64 << 10])  # only the start: the answer comes without the other 3 MB
    head, _, payload = read_response(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(payload) == {"error": "too_large", "detail": "Big Song.wav: upload larger than 1 MB"}


def test_an_upload_is_named_only_by_the_whole_head_of_its_file_part():
    from spectrogenre.server.limits import upload_name

    body, content_type = multipart("song.mp3", b"ID3")
    assert upload_name(content_type.encode(), body) == "song.mp3"
    assert upload_name(content_type.encode(), body[:40]) is None  # the part's head not yet whole
    assert upload_name(content_type.encode(), body.replace(b'name="file"', b'name="other"')) is None
    assert upload_name(b"application/octet-stream", body) is None  # not multipart: no part names a file


@pytest.mark.parametrize("head", [b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                                  b"NOT HTTP AT ALL\r\n\r\n"])
def test_a_request_that_is_not_http_gets_the_json_400(server, head):
    answer = read_response(raw_request(server[0], head))
    status, body = answer.split(b"\r\n\r\n", 1)
    assert status.startswith(b"HTTP/1.1 400 ") and b"content-type: application/json" in status.lower()
    assert json.loads(body)["error"] == "bad_request"
    assert json.loads(body)["detail"].startswith("malformed HTTP request: ")


def test_a_request_head_that_never_ends_is_closed(server):
    sock = raw_request(server[0], b"POST /api/classify HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    assert read_response(sock) == b""  # closed by the server, with nothing to say to half a request
    assert time.monotonic() - started < 8


def test_a_body_that_trickles_gets_408(server):
    sock = raw_request(server[0], b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                                  b"boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n")
    started = time.monotonic()
    head, _, payload = read_response(sock).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408") and json.loads(payload)["error"] == "request_timeout"
    assert time.monotonic() - started < 8


def test_a_body_that_trickles_frees_its_place_at_the_minimum_rate_not_the_body_timeout(tiny_project):
    # a minute to send the body, but 16 KB/s after a 1 s grace: 1 byte every 0.3 s is refused in about a second
    with serving(tiny_project / "data/export", SPECTROGENRE_BODY_TIMEOUT_S="60", SPECTROGENRE_UPLOAD_GRACE_S="1") as (
            port, _):
        sock = raw_request(port, b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                                 b"boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n")
        started, answer = time.monotonic(), b""
        sock.settimeout(0.3)
        while time.monotonic() - started < 40 and not answer:
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                sock.sendall(b"x")
        answered_after = time.monotonic() - started
        sock.settimeout(10)
        head, _, payload = (answer + read_response(sock)).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), head
        assert json.loads(payload)["detail"] == "the upload arrives slower than 16 KB/s"
        assert answered_after < 30  # not the body timeout's 60 s


def test_a_body_sent_fast_then_stopped_frees_its_place_when_it_stalls_not_at_the_body_timeout(tiny_project):
    # 60 KB at once is enough for a minute at 16 KB/s: the average rate alone would hold the place that long
    with serving(tiny_project / "data/export", SPECTROGENRE_BODY_TIMEOUT_S="60", SPECTROGENRE_UPLOAD_STALL_S="2") as (
            port, _):
        sock = raw_request(port, b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                                 b"boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; "
                                 b'name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n' + b"x" * 60_000)
        started = time.monotonic()
        head, _, payload = read_response(sock).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), head
        assert json.loads(payload)["detail"] == "a.wav: the upload stopped: no byte for 2 s"  # its name had come
        assert time.monotonic() - started < 20  # not the body timeout's 60 s


def test_wrong_methods_get_405_and_the_schema_lists_every_status(server, tiny_project):
    port = server[0]
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/classify", method="GET")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert (err.value.code, err.value.headers["allow"]) == (405, "POST")
    assert err.value.read() == b'{"error":"method_not_allowed","detail":"GET is not allowed here: use POST"}'
    schema = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=10).read())
    documented = set(schema["paths"]["/api/classify"]["post"]["responses"])
    seen = {"405"}
    track = (tiny_project / "library" / "Noise" / "Album 0" / "01 Track.wav").read_bytes()
    for name, data, kind in [("t.wav", track, "audio/wav"), ("e.wav", b"", "audio/wav"), ("n.txt", b"x", "text/plain"),
                             ("j.mp3", b"\xff\xfb" + bytes(500), "audio/mpeg"), ("b.wav", bytes(2 << 20), "audio/wav")]:
        seen.add(str(post(port, name, data, kind)[0]))
    no_file = urllib.request.Request(f"http://127.0.0.1:{port}/api/classify", data=b"x=1", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(no_file, timeout=10)
    seen.add(str(err.value.code))
    assert seen == {"200", "400", "405", "413", "415", "422"}
    assert seen | {"408", "503"} <= documented


def test_a_request_that_cannot_be_parsed_behind_an_answer_still_being_sent_closes_the_connection_quietly():
    # pipelined behind a request whose 503 is still being sent: a second answer does not fit in the connection
    import h11

    from spectrogenre.server.protocol import with_head_timeout

    class Transport:
        written, closed = b"", False

        def write(self, data):
            self.written += data

        def close(self):
            self.closed = True

    protocol = object.__new__(with_head_timeout(10, max_connections=5))
    protocol.conn, protocol.transport = h11.Connection(h11.SERVER), Transport()
    protocol.conn.receive_data(b"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert isinstance(protocol.conn.next_event(), h11.Request)
    protocol.conn.send(h11.Response(status_code=503, headers=[(b"content-length", b"10")]))  # its body not yet sent
    protocol.send_400_response("Invalid HTTP request received.")
    assert protocol.transport.closed and protocol.transport.written == b""
    idle = object.__new__(with_head_timeout(10, max_connections=5))  # an unparsable first request: the JSON 400
    idle.conn, idle.transport = h11.Connection(h11.SERVER), Transport()
    idle.send_400_response("Invalid HTTP request received.")
    assert idle.transport.closed and idle.transport.written.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert idle.transport.written.endswith(b'{"error":"bad_request","detail":"malformed HTTP request: invalid http '
                                           b'request received"}')
