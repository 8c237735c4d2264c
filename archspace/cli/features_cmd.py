"""`archspace features faces IMAGES --out feats.npz`: MediaPipe landmarks and depth maps as inputs."""

from __future__ import annotations

from typing import List, Optional

import typer

from . import console
from .app import EXIT_FINDINGS, app

features_app = typer.Typer(
    help="Model inputs drawn from images (MediaPipe face landmarks and depth maps).",
    no_args_is_help=True,
)
app.add_typer(features_app, name="features")

MAX_TABLE_ROWS = 40


@features_app.command("faces")
def faces(
    images: List[str] = typer.Argument(..., help="Image files and/or folders (searched recursively; one subfolder per class gives the labels)."),
    out: str = typer.Option(..., "--out", "-o", help="The .npz to write (arrays image, depth, landmarks, labels, classes, files); a <stem>.report.json goes next to it."),
    depth_size: str = typer.Option("224", "--depth-size", help="Depth map size, N or HxW."),
    image_size: str = typer.Option("224", "--image-size", help="Resized image size, N or HxW."),
    save_png: Optional[str] = typer.Option(None, "--save-png", help="Also write every depth map as a PNG under this folder."),
    model: Optional[str] = typer.Option(None, "--model", help="A face_landmarker.task for MediaPipe's Tasks FaceLandmarker (newer MediaPipe releases); default: the face mesh model inside the mediapipe 0.10.21 wheel."),
    crop: str = typer.Option("none", "--crop", help="none: the whole photo; face: a square box around the face (image, depth and landmarks alike)."),
    margin: float = typer.Option(0.25, "--margin", help="With --crop face: border around the face, as a fraction of its size."),
    max_faces: int = typer.Option(1, "--max-faces", help="Faces per image, one row each."),
    min_confidence: float = typer.Option(0.5, "--min-confidence", help="MediaPipe's face detection threshold."),
    image_dtype: str = typer.Option("float32", "--image-dtype", help="float32 (0..1, the depth map's scale) or uint8 (0..255, a quarter of the size)."),
    compress: bool = typer.Option(False, "--compress", metavar="", help="Write a compressed .npz (smaller, slower)."),
):
    """Detect faces with MediaPipe; write the photo, a landmark depth map and the 468 landmarks
    per face as an .npz ready for `archspace search SPACE --data`. Files without a face,
    unreadable files and non-images are skipped and reported."""
    from .extras import require

    require("features", "features faces")
    from ..features.faces import extract_faces, report_path_for

    with _Progress() as bar:
        feats = extract_faces(
            images, out, image_size=image_size, depth_size=depth_size, crop=crop, margin=margin,
            max_faces=max_faces, min_confidence=min_confidence, image_dtype=image_dtype,
            model=model, save_png=save_png, compress=compress, progress=bar.update)

    if feats.skipped:
        rows = [[s.file, s.reason] for s in feats.skipped[:MAX_TABLE_ROWS]]
        console.out.print(console.table(f"skipped ({len(feats.skipped)})", ["file", "reason"], rows))
        if len(feats.skipped) > MAX_TABLE_ROWS:
            console.out.print(f"... and {len(feats.skipped) - MAX_TABLE_ROWS} more (see the report)")
    if feats.labels is not None:
        counts = feats.class_counts()
        console.out.print(console.table(f"classes ({len(counts)})", ["label", "class", "faces"],
                                        [[i, c, n] for i, (c, n) in enumerate(counts.items())]))
        empty = [c for c, n in counts.items() if n == 0]
        if empty:
            console.err.print(f"[yellow]warning:[/] no face in class {', '.join(empty)}")
    else:
        console.err.print("[yellow]note:[/] no class subfolders, so no `labels` array (put each "
                          "class's images in its own subfolder of the folder you pass)")

    from ..search.settings import plural

    n, n_files = len(feats), feats.n_inputs
    report = feats.report_path or report_path_for(out)
    tail = f"{len(feats.skipped)} skipped (report: {report})"
    if n == 0:
        console.err.print(f"[bold red]no face found[/] in {plural(n_files, 'file')}; nothing "
                          f"written; {tail}")
        raise typer.Exit(EXIT_FINDINGS)
    shapes = ", ".join(f"{k} {'x'.join(map(str, v.shape))} {v.dtype}"
                       for k, v in feats.arrays().items() if k in ("image", "depth", "landmarks"))
    console.out.print(f"wrote {feats.out}: {plural(n, 'face')} from "
                      f"{feats.n_images_with_faces} of {plural(n_files, 'file')} in "
                      f"{feats.seconds:.1f}s ({shapes}); {tail}")
    if save_png:
        console.out.print(f"depth PNGs under {save_png}")


class _Progress:
    """A rich progress bar on stderr for long runs (hidden for a handful of files)."""

    MIN_FILES = 8

    def __init__(self):
        self._bar = None
        self._task = None

    def __enter__(self):
        return self

    def update(self, done: int, total: int, file: Optional[str]) -> None:
        if total < self.MIN_FILES:
            return
        if self._bar is None:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)

            self._bar = Progress(TextColumn("faces"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), TextColumn("{task.description}"),
                                 console=console.err, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("loading MediaPipe", total=total)
        self._bar.update(self._task, completed=done,
                         description=console._escape(file.rsplit("/", 1)[-1]) if file
                         else "loading MediaPipe")

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False
