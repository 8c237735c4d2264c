"""A depth-map image from MediaPipe's 3-D face landmarks."""

from __future__ import annotations

from typing import Optional

import numpy as np


def depth_map(landmarks: np.ndarray, size: tuple[int, int],
              frame: Optional[tuple[float, float]] = None) -> np.ndarray:
    """Draw the landmarks' depth onto an HxW grid; returns an (H, W) float32 array in [0, 1].

    Method:
      1. The (x, y) landmark positions (normalised to [0, 1] of the frame, MediaPipe style) are
         put in image coordinates: x * frame_width, y * frame_height (pixels of the picture the
         map is aligned with, so that the triangulation follows the real face geometry even when
         the output grid stretches it).
      2. The value at each landmark is -z: MediaPipe's z is smaller for points nearer the camera,
         so negating makes nearer = brighter.
      3. Linear interpolation at the centre of every grid pixel, piecewise-linear over the
         Delaunay triangulation of the landmarks (scipy.spatial.Delaunay): defined inside their
         convex hull (the face region) and nowhere else. This is exactly what
         `scipy.interpolate.griddata(points, -z, grid, method="linear")` computes (the tests
         check it against griddata); the barycentric weights are computed here in NumPy because
         scipy's point location goes through LAPACK once per call, which costs 40+ ms a face
         when OpenBLAS threads compete for the CPU.
      4. Inside the hull the values are normalised to [0, 1] by the landmarks' own -z range
         (the nearest landmark, usually the nose tip, maps to 1; the farthest, on the face
         contour at the hull's edge, to 0); outside the hull the map is 0.

    landmarks: (N, 3) array, x and y in [0, 1] of the frame, z on MediaPipe's scale (any scale:
        the map is normalised per face).
    size: (H, W) of the output grid; it spans the whole frame.
    frame: (height, width) of the picture in pixels, for the aspect ratio; defaults to `size`.
    """
    from scipy.spatial import Delaunay, QhullError

    lm = np.asarray(landmarks, dtype=np.float64)
    h, w = int(size[0]), int(size[1])
    fh, fw = (float(frame[0]), float(frame[1])) if frame is not None else (float(h), float(w))
    out = np.zeros((h, w), np.float32)
    pts = np.column_stack([lm[:, 0] * fw, lm[:, 1] * fh])
    vals = -lm[:, 2]
    lo, hi = float(vals.min()), float(vals.max())
    if not (hi > lo) or not np.isfinite(pts).all():
        return out
    try:
        tri = Delaunay(pts)
    except (QhullError, ValueError):   # degenerate (collinear) landmarks: no face area
        return out
    rows, cols, z = _interpolate_on_grid(pts, vals, tri.simplices, (h, w), (fh / h, fw / w))
    out[rows, cols] = np.clip((z - lo) / (hi - lo), 0.0, 1.0)
    return out


def _interpolate_on_grid(pts: np.ndarray, vals: np.ndarray, simplices: np.ndarray,
                         size: tuple[int, int], step: tuple[float, float]):
    """Piecewise-linear interpolation over the triangles at the pixel centres
    ((i + 0.5) * step_y, (j + 0.5) * step_x) of an HxW grid; returns rows, cols, values of the
    pixels inside some triangle (a pixel on a shared edge may come twice, with the same value)."""
    h, w = size
    sy, sx = step
    a, b, c = pts[simplices[:, 0]], pts[simplices[:, 1]], pts[simplices[:, 2]]
    e1, e2 = b - a, c - a
    det = e1[:, 0] * e2[:, 1] - e2[:, 0] * e1[:, 1]
    keep = np.abs(det) > 1e-12 * (np.abs(e1).max(1) * np.abs(e2).max(1) + 1e-300)
    a, e1, e2, det, simplices = a[keep], e1[keep], e2[keep], det[keep], simplices[keep]
    tri_pts = pts[simplices]                                     # (m, 3, 2)
    j0 = np.clip(np.ceil(tri_pts[..., 0].min(1) / sx - 0.5), 0, w).astype(np.int64)
    j1 = np.clip(np.floor(tri_pts[..., 0].max(1) / sx - 0.5), -1, w - 1).astype(np.int64)
    i0 = np.clip(np.ceil(tri_pts[..., 1].min(1) / sy - 0.5), 0, h).astype(np.int64)
    i1 = np.clip(np.floor(tri_pts[..., 1].max(1) / sy - 0.5), -1, h - 1).astype(np.int64)
    nw, nh = np.maximum(j1 - j0 + 1, 0), np.maximum(i1 - i0 + 1, 0)
    count = nw * nh
    t = np.repeat(np.arange(len(count)), count)                # triangle of each candidate
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    jj = j0[t] + k % np.maximum(nw[t], 1)
    ii = i0[t] + k // np.maximum(nw[t], 1)
    px = (jj + 0.5) * sx - a[t, 0]
    py = (ii + 0.5) * sy - a[t, 1]
    l1 = (e2[t, 1] * px - e2[t, 0] * py) / det[t]
    l2 = (e1[t, 0] * py - e1[t, 1] * px) / det[t]
    l0 = 1.0 - l1 - l2
    eps = 1e-9
    inside = (l0 >= -eps) & (l1 >= -eps) & (l2 >= -eps)
    v = vals[simplices]
    z = l0 * v[t, 0] + l1 * v[t, 1] + l2 * v[t, 2]
    return ii[inside], jj[inside], z[inside]
