"""Exposure (#8 part 4): the server listens on this computer only, with XSRF protection and an upload
limit from .streamlit/config.toml; uploaded files land only under the data directory, under
names the studio generates (never a part of the name the user's file had)."""
from __future__ import annotations

import io
import itertools
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.pages.conftest import open_page, texts
from tests.pages.test_bad_uploads import CSV, keras_like, photo_folders, png, small_image_model, sound_folders, \
    submit_button, wav, zipped

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = {"127.0.0.1", "::1"}


def _config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_config_keeps_the_server_local_with_xsrf_and_the_largest_widget_limit():
    from pages.common import UPLOAD_LIMITS_MB
    server = _config()["server"]
    assert server["address"] == "localhost"
    assert server["enableXsrfProtection"] is True and server["enableCORS"] is True
    # The server-wide cap is the largest per-widget limit: no widget states more than it allows.
    assert server["maxUploadSize"] == max(UPLOAD_LIMITS_MB.values()) == 500
    assert _config()["browser"]["gatherUsageStats"] is False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _other_addresses() -> list[str]:
    """This machine's addresses other than loopback (IPv4 and IPv6, link-local left out)."""
    found = []
    for addresses in psutil.net_if_addrs().values():
        for a in addresses:
            if a.family in (socket.AF_INET, socket.AF_INET6) and a.address.split("%")[0] not in LOOPBACK \
                    and not a.address.startswith("fe80"):
                found.append(a.address.split("%")[0])
    return found


@pytest.fixture
def default_server(data_dir):
    """`streamlit run app.py` as the README says (no address flag), from the project folder."""
    port = _free_port()
    log = open(data_dir.parent / "streamlit.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port)],
        cwd=ROOT, env={**os.environ, "MODEL_STUDIO_DATA": str(data_dir)}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("streamlit did not answer within 60 s: " + (data_dir.parent / "streamlit.log").read_text(encoding="utf-8")[-2000:])
    yield server, port
    server.terminate()
    server.wait(10)


def test_the_app_listens_on_this_computer_only_and_refuses_uploads_without_the_xsrf_token(default_server):
    server, port = default_server
    listening = {c.laddr.ip for c in psutil.Process(server.pid).net_connections("inet")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
    assert listening and listening <= LOOPBACK, listening
    for address in _other_addresses():  # the machine's LAN addresses: nobody answers there
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family) as s:
            s.settimeout(2)
            assert s.connect_ex((address, port)) != 0, f"the app answers on {address}"
    # XSRF protection is on: an upload from anywhere but a page of this server (no token) is refused.
    body = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n" + png() + b"\r\n--x--\r\n"
    request = urllib.request.Request(f"http://localhost:{port}/_stcore/upload_file/session/file", data=body,
                                     method="PUT", headers={"Content-Type": "multipart/form-data; boundary=x"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403


# -- uploaded files: only under the data directory, under generated names ------------------------------

# Hostile names, and a fragment of each that must never appear in a path the studio writes. They end
# with the widget's file type: Streamlit itself refuses any other name, and a NUL byte, before the
# page runs (see the last test).
HOSTILE = [("../../evilqz{ext}", "evilqz"), ("/etc/passwd{ext}", "passwd"), ("con{ext}", "con"),
           ("Q" * 300 + "{ext}", "QQQQQQQQQQ"), ("ctrlzz\r\nline\tbreak\x7f{ext}", "ctrlzz")]


class Writes:
    """Every file or folder this process creates, opens for writing, renames or links (an audit hook:
    other processes, such as other test runs, cannot blur it)."""
    events = {"open", "os.mkdir", "os.rename", "os.replace", "os.link", "os.symlink", "shutil.copyfile",
              "shutil.move", "sqlite3.connect"}

    def __init__(self):
        self.paths: list[str] = []
        self.on = False
        sys.addaudithook(self._hook)

    def _hook(self, event, args):
        if not self.on or event not in self.events:
            return
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(m in mode for m in "wax+")) or \
                (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if not writing or not isinstance(path, (str, bytes, os.PathLike)):
                return
            self.paths.append(os.fsdecode(path))
        elif event in ("os.rename", "os.replace", "os.link", "os.symlink", "shutil.copyfile", "shutil.move"):
            self.paths.append(os.fsdecode(args[1]))
        elif args and isinstance(args[0], (str, bytes, os.PathLike)):
            self.paths.append(os.fsdecode(args[0]))


_WRITES = None


@pytest.fixture
def writes():
    global _WRITES
    _WRITES = _WRITES or Writes()  # audit hooks cannot be removed: one for the whole session, switched on here
    _WRITES.paths.clear()
    _WRITES.on = True
    yield _WRITES
    _WRITES.on = False


def _moons_bundle(tmp_path, monkeypatch) -> bytes:
    """A real bundle of one trained run, exported from another studio (another data directory)."""
    from core.bundle import export_bundle
    from core.runs import RunStore
    from core.training.config import RunConfig
    from core.training.runner import train
    monkeypatch.setenv("MODEL_STUDIO_DATA", str(tmp_path / "other-studio"))
    config = RunConfig(dataset="moons", architecture="mlp", epochs=1).validated()
    store = RunStore()
    run_id = store.create_run(config.to_dict(), config.name)
    assert store.claim_slot(run_id, max_running=10) and train(config, run_id, store) == "completed"
    data = export_bundle().path.read_bytes()
    monkeypatch.undo()
    return data


def test_uploads_with_hostile_names_land_only_under_the_data_dir_with_generated_names(
        data_dir, tmp_path, monkeypatch, writes):
    writes.on = False
    bundle = _moons_bundle(tmp_path, monkeypatch)
    monkeypatch.setenv("MODEL_STUDIO_DATA", str(data_dir))
    model = small_image_model()
    photos, sounds = zipped(photo_folders()), zipped(sound_folders())
    image, audio, text, train, runs = (open_page(f"pages/{page}.py") for page in
                                       ("image_lab", "audio_lab", "text_lab", "train", "runs"))
    train.segmented_control(key="data_source").set_value("Your own data").run()
    writes.on = True
    # Each pass gives every upload route the next hostile name in turn (all five on the Image Lab
    # alone), and the second pass gives each route a different one: two names per route instead of
    # five, which took five passes (2.5 minutes) for the same one naming code.
    for turn in range(2):
        uploads = itertools.count(turn)

        def name(ext):
            return HOSTILE[next(uploads) % len(HOSTILE)][0].format(ext=ext)
        image.file_uploader(key="teach_zip").set_value((name(".zip"), photos, "application/zip")).run()
        assert "Ready:" in texts(image.success), texts(image.error)
        image.text_input(key="teach_class_name").set_value(name(".png"))
        key = next(w.key for w in image.file_uploader if w.key.startswith("class_files_"))
        image.file_uploader(key=key).set_value([(name(".png"), png(), "image/png"),
                                                (name(".png"), png((0, 0, 200)), "image/png")])
        image.button(key="teach_add").click().run()
        image.file_uploader(key="import-model-image").set_value((name(".keras"), model, "application/octet-stream"))
        image.file_uploader(key="import-labels-image").set_value((name(".txt"), b"a\nb\nc\n", "text/plain"))
        submit_button(image, "Import and use it").click().run()

        audio.file_uploader(key="teach_zip").set_value((name(".zip"), sounds, "application/zip")).run()
        assert "Ready:" in texts(audio.success), texts(audio.error)
        audio.file_uploader(key="clip_upload").set_value((name(".wav"), wav(), "audio/wav")).run()

        text.file_uploader(key="txt_upload").set_value((name(".txt"), b"A fine phone.", "text/plain")).run()
        text.file_uploader(key="batch_csv").set_value((name(".csv"), CSV, "text/csv")).run()
        text.button(key="batch_run").click().run()
        text.file_uploader(key="teach_csv").set_value((name(".csv"), CSV, "text/csv")).run()
        next(b for b in text.button if b.key and b.key.startswith("teach_import-")).click().run()
        assert "Ready:" in texts(text.success), texts(text.error)

        train.file_uploader(key="zip_upload").set_value((name(".zip"), photos, "application/zip")).run()
        train.file_uploader(key="csv_upload").set_value((name(".csv"), CSV, "text/csv")).run()
        next(b for b in train.button if b.label.startswith("Import 4 rows")).click().run()

        runs.file_uploader(key="bundle_file").set_value((name(".zip"), bundle, "application/zip"))
        submit_button(runs, "Import the runs").click().run()
        for at in (image, audio, text, train, runs):
            assert not at.exception, at.exception
    image.button(key="teach_use").click().run()  # the classes named after hostile names, imported
    assert "Ready:" in texts(image.success) and not image.exception
    writes.on = False

    assert any("imported" in p for p in writes.paths) and any("exports" in p for p in writes.paths)
    data = data_dir.resolve()
    outside = sorted({p for p in writes.paths if not Path(p).resolve().is_relative_to(data)})
    assert not outside, f"written outside the data directory: {outside}"
    created = [p.relative_to(data) for p in data.rglob("*")]
    assert created
    for path in created:
        parts = [part.lower() for part in path.parts]
        assert not any(fragment.lower() in part for part in parts for _, fragment in HOSTILE if fragment != "con"), path
        assert not any(part == "con" or part.startswith("con.") for part in parts), path
    generated = {"uploads": r"\d{8}-\d{6}-[0-9a-f]{6}", "imported": r"[0-9a-f]{16}", "runs": r"\d{8}-\d{6}-[0-9a-f]+"}
    for path in created:
        if len(path.parts) >= 2 and path.parts[0] in generated:
            assert re.fullmatch(generated[path.parts[0]], path.parts[1]), path
    assert {p.parts[0] for p in created} >= {"uploads", "imported", "exports", "runs"}


@pytest.mark.parametrize("name", ["/etc/passwd", "evil.zip\x00.png", "evil.zip.exe"])
def test_a_name_without_the_widgets_file_type_is_refused_by_streamlit_before_the_page_runs(name, data_dir, writes):
    """A browser never sends such a name (it checks the type itself); a forged request that does gets
    Streamlit's own refusal, raised before any line of the page runs: nothing is read or written."""
    at = open_page("pages/image_lab.py")
    at.file_uploader(key="teach_zip").set_value((name, zipped(photo_folders()), "application/zip")).run()
    assert any("Invalid file extension" in e.message or "null bytes" in e.message for e in at.exception)
    assert "teach_import" not in at.session_state
    assert not [p for p in writes.paths if Path(p).resolve().is_relative_to(data_dir.resolve() / "uploads")]
