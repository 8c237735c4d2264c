"""`archspace features faces` end to end, the Tasks API path, and lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys

from pathlib import Path

import numpy as np
import pytest

from archspace.cli import main


def test_importing_archspace_and_the_cli_loads_no_heavy_back_end():
    code = (
        "import sys, archspace, archspace.features, archspace.cli.features_cmd\n"
        "from archspace.cli.app import _register; _register()\n"
        "import archspace.features.faces, archspace.features.depth, archspace.features.files\n"
        "import archspace.features.landmarks\n"
        "heavy = [m for m in ('mediapipe', 'cv2', 'skimage', 'scipy', 'tensorflow', 'keras')\n"
        "         if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_help_lists_the_command(capsys):
    assert main(["features", "--help"]) == 0
    assert "faces" in capsys.readouterr().out
    assert main(["features", "faces", "--help"]) == 0
    text = capsys.readouterr().out
    for opt in ("--out", "--depth-size", "--image-size", "--save-png", "--model", "--crop"):
        assert opt in text


def test_cli_end_to_end(face_folder, tmp_path, capsys, monkeypatch):
    from archspace.cli import console

    # a wide terminal: the skipped-files table folds long paths in a narrow one
    monkeypatch.setattr(console.out, "width", 240)
    out = tmp_path / "feats.npz"
    rc = main(["features", "faces", str(face_folder), "--out", str(out), "--image-size", "48",
               "--depth-size", "40x32", "--save-png", str(tmp_path / "png")])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    text = captured.out
    assert "wrote " + str(out) in text and "5 faces from 5 of 10 files" in text
    assert "5 skipped" in text and "feats.report.json" in text
    for name, why in [("coffee.jpg", "no face found"), ("notes.txt", "not an image"),
                      ("broken.jpg", "unreadable image"), ("empty.png", "empty file")]:
        assert name in text and why in text
    assert "happy" in text and "sad" in text
    # no MediaPipe / TensorFlow Lite chatter on stderr
    assert "W0000" not in captured.err and "XNNPACK" not in captured.err
    with np.load(out, allow_pickle=False) as z:
        assert z["image"].shape == (5, 48, 48, 3) and z["image"].dtype == np.float32
        assert z["depth"].shape == (5, 40, 32, 1) and z["landmarks"].shape == (5, 468, 3)
        assert z["labels"].tolist() == [0, 0, 0, 1, 1]
        assert z["classes"].tolist() == ["happy", "sad"]
    assert len(list((tmp_path / "png").rglob("*.depth.png"))) == 5
    rep = json.loads((tmp_path / "feats.report.json").read_text())
    assert rep["settings"]["depth_size"] == [40, 32] and len(rep["skipped"]) == 5


def test_cli_crop_face_uint8_files(face_folder, tmp_path, capsys):
    out = tmp_path / "c.npz"
    rc = main(["features", "faces", str(face_folder / "happy" / "original.png"),
               str(face_folder / "sad" / "cropped.jpg"), "--out", str(out), "--crop", "face",
               "--image-dtype", "uint8", "--image-size", "32", "--depth-size", "24",
               "--compress"])
    assert rc == 0
    assert "no class subfolders" in capsys.readouterr().err
    with np.load(out, allow_pickle=False) as z:
        assert "labels" not in z.files
        assert z["image"].shape == (2, 32, 32, 3) and z["image"].dtype == np.uint8
        assert z["depth"].shape == (2, 24, 24, 1)
        assert 0.25 < (z["depth"] > 0).mean() < 0.5   # the face fills the crop


def test_cli_no_face_exits_1(face_folder, tmp_path, capsys):
    rc = main(["features", "faces", str(face_folder / "sad" / "coffee.jpg"),
               str(face_folder / "sad" / "notes.txt"), "--out", str(tmp_path / "n.npz")])
    assert rc == 1
    assert "no face found" in capsys.readouterr().err
    assert not (tmp_path / "n.npz").exists() and (tmp_path / "n.report.json").exists()


def test_cli_bad_input_exits_2(face_folder, tmp_path, capsys):
    assert main(["features", "faces", str(tmp_path / "nope"), "--out",
                 str(tmp_path / "x.npz")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["features", "faces", str(face_folder), "--out", str(tmp_path / "x.npz"),
                 "--model", str(tmp_path / "face_landmarker.task")]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "face_landmarker.task" in err and "download" in err
    assert main(["features", "faces", str(face_folder), "--out", str(tmp_path / "x.npz"),
                 "--depth-size", "huge"]) == 2
    assert "expected N or HxW" in capsys.readouterr().err


# -- the Tasks API (mediapipe.tasks.python.vision.FaceLandmarker) ----------------------------------
@pytest.fixture(scope="module")
def stand_in_task(tmp_path_factory):
    """A face_landmarker.task-shaped bundle assembled from the models inside the mediapipe wheel.

    The real face_landmarker.task (a download) holds a 478-point landmark model; the wheel only
    has the 468-point face mesh model, whose output the Tasks graph decodes differently, so the
    landmark *values* from this bundle are not meaningful. It drives the Tasks code path for
    real: bundle loading, detection, result decoding, the 468-point cut.
    """
    import os

    import mediapipe as mp

    from mediapipe.tasks.python.metadata.metadata_writers import (
        metadata_writer, model_asset_bundle_utils)
    modules = os.path.join(os.path.dirname(mp.__file__), "modules")

    def with_metadata(path, name, mean, std):
        with open(path, "rb") as f:
            w = metadata_writer.MetadataWriter(bytearray(f.read()))
        w.add_general_info(name, name)
        w.add_image_input(mean, std)
        return w.populate()[0]

    det = with_metadata(f"{modules}/face_detection/face_detection_short_range.tflite",
                        "FaceDetector", [127.5], [127.5])
    lmk = with_metadata(f"{modules}/face_landmark/face_landmark.tflite",
                        "FaceLandmarksDetector", [0.0], [255.0])
    path = tmp_path_factory.mktemp("task") / "face_landmarker.task"
    model_asset_bundle_utils.create_model_asset_bundle(
        {"face_detector.tflite": det, "face_landmarks_detector.tflite": lmk}, str(path))
    return path


def test_tasks_api_path(stand_in_task, face_folder, tmp_path, capsys):
    from archspace.features import extract_faces, open_landmarker

    lm = open_landmarker(str(stand_in_task))
    try:
        assert "Tasks FaceLandmarker" in lm.name
        from archspace.features import read_image

        faces = lm.detect(read_image(face_folder / "happy" / "original.png"))
        assert len(faces) == 1 and faces[0].shape == (468, 3) and faces[0].dtype == np.float32
        assert np.isfinite(faces[0]).all()
        assert lm.detect(read_image(face_folder / "sad" / "coffee.jpg")) == []
    finally:
        lm.close()
    files = [face_folder / "happy" / n for n in ("original.png", "flipped.jpg", "more/half.png")]
    f = extract_faces(files, model=str(stand_in_task), image_size=32, depth_size=32)
    assert len(f) == 3 and f.landmarks.shape == (3, 468, 3)
    assert "Tasks FaceLandmarker" in f.report()["landmarker"]
    rc = main(["features", "faces", str(face_folder), "--out", str(tmp_path / "t.npz"),
               "--model", str(stand_in_task), "--image-size", "32", "--depth-size", "32"])
    assert rc == 0, capsys.readouterr().err


def test_tasks_api_rejects_a_file_that_is_not_a_bundle(tmp_path, capsys):
    bad = tmp_path / "face_landmarker.task"
    bad.write_text("not a model")
    from archspace.errors import ArchError
    from archspace.features import open_landmarker

    with pytest.raises(ArchError, match="cannot load it as a face landmarker bundle"):
        open_landmarker(str(bad))


# -- the features feed a search straight away -----------------------------------------------------
@pytest.mark.slow  # MediaPipe over the faces, then two searches that train
def test_features_feed_a_search(face_folder, tmp_path, capsys):
    """`archspace features faces` then `archspace search spaces/squeezenet_sem_auto.arch --data
    feats.npz` (image + depth, 2 trials x 1 epoch, at 48x48 to keep it quick; the space says
    224x224), and MLPAuto on the landmarks of the same file through the Python API."""
    import archspace
    import archspace.search as search
    root = Path(__file__).resolve().parents[2]
    npz = tmp_path / "feats.npz"
    assert main(["features", "faces", str(face_folder), "--out", str(npz),
                 "--image-size", "48", "--depth-size", "48"]) == 0

    sem = f"{root}/spaces/squeezenet_sem_auto.arch"
    assert [i.name for i in archspace.parse_file(sem).inputs] == ["image", "depth"]
    rc = main(["search", sem, "--data", str(npz), "--input", "image=48x48x3",
               "--input", "depth=48x48x1", "--strategy", "random", "--trials", "2",
               "--epochs", "1", "--batch-size", "4", "--no-tensorboard",
               "--out", str(tmp_path / "sem")])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "2 completed" in captured.out + captured.err

    mlp = archspace.parse_file(f"{root}/spaces/mlp_auto.arch")
    assert [i.name for i in mlp.inputs] == ["landmarks"]
    result = search.search(mlp, str(npz), strategy="random", trials=2, epochs=1, batch_size=4,
                           out=tmp_path / "mlp", tensorboard=False, verbose=False)
    assert len(result.completed) == 2 and not result.failed, result
