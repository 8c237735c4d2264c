"""Training data for a search: a registry of loaders, each turning a `--data` value into
arrays; `load_data` fits them to the space (image size, channel count, one array per input),
splits off a fixed validation set, subsamples (`fraction`) and serves tf.data pipelines that
are built once per search and reused by every trial.

Built in:

| --data | what |
|---|---|
| `digits` | scikit-learn's 1,797 real 8x8 handwritten digits (10 classes), no download |
| `mnist`, `cifar10`, `fashion_mnist`, `cifar100` | Keras' loaders (download once to ~/.keras/datasets) |
| `PATH.npz` | arrays named after the space's inputs (or `x`) plus `labels` (or `y`); optional `val_<input>` / `val_labels` for a fixed validation set; a space with several outputs (detection: classes and boxes) takes one label array per output, named after it (`val_<output>` likewise) |
| `PATH/` (folder) | one subfolder per class, images inside (png, jpg, bmp, gif, tif, webp) |

Register another with `@loader("name")` (a function `(spec, space) -> Raw`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import ArchError
from ..ir import Space

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass
class Raw:
    """What a loader returns: inputs by name (or the single key 'x'), labels, optionally a
    fixed validation part, class names, and a line describing the source."""

    x: dict[str, np.ndarray]
    y: np.ndarray | dict[str, np.ndarray]          # a dict: one array per output
    x_val: dict[str, np.ndarray] | None = None
    y_val: np.ndarray | dict[str, np.ndarray] | None = None
    classes: list[str] | None = None
    description: str = ""
    #: images scaled to [0, 1] already (else uint8 are divided by 255)
    scaled: bool = False


LOADERS: dict[str, Callable[[str, Space], Raw]] = {}


def loader(name: str):
    """Register a data loader under a name usable as `--data NAME`."""
    def deco(fn: Callable[[str, Space], Raw]):
        LOADERS[name] = fn
        return fn
    return deco


# ---- the loaders ----------------------------------------------------------------------------
@loader("digits")
def _digits(spec: str, space: Space) -> Raw:
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover
        raise ArchError("--data digits needs scikit-learn",
                        hint='pip install "archspace[search]"') from None
    d = load_digits()
    x = (d.images.astype("float32") / 16.0)[..., None]
    return Raw(x={"x": x}, y=d.target.astype("int64"), classes=[str(i) for i in range(10)],
               description="scikit-learn digits: 1,797 real 8x8 handwritten digits, 10 classes",
               scaled=True)


def _keras_dataset(name: str, classes: int):
    def load(spec: str, space: Space) -> Raw:
        import keras

        module = getattr(keras.datasets, name)
        try:
            (x, y), (xv, yv) = module.load_data()
        except Exception as e:
            raise ArchError(
                f"--data {name}: Keras could not load it ({type(e).__name__}: "
                f"{str(e).splitlines()[0] if str(e) else 'no details'}); it downloads on first "
                "use, and this machine seems to have no network",
                hint=(f"copy the file Keras downloads into ~/.keras/datasets/, or provide the "
                      f"data locally: an .npz with an array named after the space's input (or "
                      f"'x') plus 'labels' (--data {name}.npz), or a folder with one subfolder "
                      f"per class (--data path/to/{name}/); --data digits works offline")
            ) from None
        if x.ndim == 3:
            x, xv = x[..., None], xv[..., None]
        return Raw(x={"x": x}, y=np.asarray(y).reshape(-1).astype("int64"), x_val={"x": xv},
                   y_val=np.asarray(yv).reshape(-1).astype("int64"),
                   classes=[str(i) for i in range(classes)],
                   description=f"keras.datasets.{name}: {len(x):,} train / {len(xv):,} test")
    return load


for _name, _k in (("mnist", 10), ("fashion_mnist", 10), ("cifar10", 10), ("cifar100", 100)):
    loader(_name)(_keras_dataset(_name, _k))


def _npz(spec: str, space: Space) -> Raw:
    try:
        f = np.load(spec, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ArchError(f"cannot read {spec}: {e}") from None
    names = set(f.files)
    outs = [o.name for o in space.outputs]
    multi = len(outs) > 1 and all(o in names for o in outs)
    label = next((k for k in ("labels", "y", "label", "targets") if k in names), None)
    if label is None and not multi:
        raise ArchError(f"{spec}: no 'labels' array (arrays: {', '.join(sorted(names))})",
                        hint="save it with np.savez(path, image=x, labels=y)")
    inputs = [i.name for i in space.inputs]
    x: dict[str, np.ndarray] = {}
    for n in inputs:
        if n in names:
            x[n] = f[n]
    if not x:
        for alias in ("x", "images", "inputs", "data"):
            if alias in names:
                x["x"] = f[alias]
                break
    missing = [n for n in inputs if n not in x] if len(inputs) > 1 and "x" not in x else []
    if not x or missing:
        raise ArchError(f"{spec}: no array for input(s) {', '.join(missing or inputs)} "
                        f"(arrays: {', '.join(sorted(names))})",
                        hint="name each array after an input of the space, plus 'labels'")
    xv = {k: f["val_" + k] for k in x if "val_" + k in names}
    if multi:   # one label array per output
        y: Any = {o: f[o] for o in outs}
        yv: Any = ({o: f["val_" + o] for o in outs} if all("val_" + o in names for o in outs)
                   else None)
        classes, n = None, _rows(y)
    else:
        y = f[label]
        yv = f["val_" + label] if "val_" + label in names else None
        classes = next(([str(c) for c in f[k]] for k in ("class_names", "classes")
                        if k in names and f[k].dtype.kind in "USO"), None)   # names, not labels
        n = len(y)
    return Raw(x=x, y=y, x_val=xv if xv and yv is not None else None,
               y_val=yv if xv else None, classes=classes,
               description=f"{spec}: {n:,} examples" +
                           (f" + {_rows(yv):,} validation" if yv is not None and xv else ""))


def _folder(spec: str, space: Space) -> Raw:
    from PIL import Image

    root = Path(spec)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ArchError(f"{spec}: a data folder holds one subfolder per class",
                        hint=f"e.g. {spec}/cat/*.png and {spec}/dog/*.png")
    img_inputs = [i for i in space.inputs if len(i.shape) == 3]
    if not img_inputs:
        raise ArchError(f"{spec}: image folders need an image input (HxWxC) in the space")
    h, w, c = img_inputs[0].shape
    mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(c)
    if mode is None:
        raise ArchError(f"{spec}: cannot read images into {c} channels (1, 3 or 4)")
    xs, ys = [], []
    for k, cls in enumerate(classes):
        for p in sorted((root / cls).rglob("*")):
            if p.suffix.lower() in IMAGE_SUFFIXES:
                try:
                    with Image.open(p) as im:
                        im = im.convert(mode).resize((w, h), Image.BILINEAR)
                        a = np.asarray(im, dtype="uint8")
                except OSError as e:
                    raise ArchError(f"cannot read image {p}: {e}") from None
                xs.append(a.reshape(h, w, c))
                ys.append(k)
    if not xs:
        raise ArchError(f"{spec}: no images found (looked for {', '.join(IMAGE_SUFFIXES)})")
    return Raw(x={"x": np.stack(xs)}, y=np.asarray(ys, dtype="int64"), classes=classes,
               description=f"{spec}: {len(xs):,} images in {len(classes)} classes")


def resolve_loader(spec: str) -> Callable[[str, Space], Raw]:
    if spec in LOADERS:
        return LOADERS[spec]
    if spec.lower().endswith(".npz"):
        if not os.path.exists(spec):
            raise ArchError(f"--data {spec}: no such file")
        return _npz
    if os.path.isdir(spec):
        return _folder
    from ..blocks.base import suggest

    raise ArchError(f"--data {spec}: not a known dataset, an .npz file or a folder",
                    hint=(suggest(spec, list(LOADERS)).strip(" ()") or
                          "built in: " + ", ".join(LOADERS)))


# ---- fitting arrays to the space ------------------------------------------------------------
@dataclass
class Data:
    """Arrays fitted to a space, split and subsampled; tf.data pipelines on demand (cached)."""

    name: str
    inputs: list[str]
    x_train: dict[str, np.ndarray]
    y_train: np.ndarray
    x_val: dict[str, np.ndarray]
    y_val: np.ndarray
    classes: list[str] | None = None
    description: str = ""
    notes: list[str] = field(default_factory=list)
    seed: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_train(self) -> int:
        return _rows(self.y_train)

    @property
    def n_val(self) -> int:
        return _rows(self.y_val)

    def _features(self, x: dict[str, np.ndarray]) -> Any:
        return x[self.inputs[0]] if len(self.inputs) == 1 else {k: x[k] for k in self.inputs}

    def _labels(self, y: np.ndarray, one_hot: bool) -> np.ndarray:
        if one_hot and self.classes:
            return np.eye(len(self.classes), dtype="float32")[y]
        return y

    def train_dataset(self, batch_size: int, one_hot: bool = False):
        """Shuffled (reshuffled each epoch, seeded), batched, prefetched."""
        key = ("train", int(batch_size), one_hot)
        if key not in self._cache:
            import tensorflow as tf

            ds = tf.data.Dataset.from_tensor_slices(
                (self._features(self.x_train), self._labels(self.y_train, one_hot)))
            ds = ds.shuffle(min(self.n_train, 10_000), seed=self.seed,
                            reshuffle_each_iteration=True)
            self._cache[key] = ds.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)
        return self._cache[key]

    def val_dataset(self, batch_size: int, one_hot: bool = False):
        key = ("val", int(batch_size), one_hot)
        if key not in self._cache:
            import tensorflow as tf

            ds = tf.data.Dataset.from_tensor_slices(
                (self._features(self.x_val), self._labels(self.y_val, one_hot)))
            self._cache[key] = ds.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)
        return self._cache[key]

    def summary(self) -> str:
        cls = f", {len(self.classes)} classes" if self.classes else ""
        shapes = ", ".join(f"{k} {'x'.join(map(str, v.shape[1:]))}"
                           for k, v in self.x_train.items())
        return f"{self.name}: {self.n_train:,} train / {self.n_val:,} validation ({shapes}{cls})"


def load_data(spec: str, space: Space, *, validation_split: float = 0.2, fraction: float = 1.0,
              seed: int = 0) -> Data:
    """Load `spec`, fit it to the space's inputs, split and subsample (seeded, stratified for
    class labels). Arrays only: the tf.data pipelines are made on first use and cached."""
    raw = resolve_loader(spec)(spec, space)
    notes: list[str] = []
    x = _fit_inputs(raw.x, space, raw.scaled, notes)
    y = _fit_labels(raw.y, space)
    if _rows(y) != len(next(iter(x.values()))):
        raise ArchError(f"--data {spec}: {_rows(y)} labels for {len(next(iter(x.values())))} "
                        "inputs")
    rng = np.random.default_rng(seed)
    # what splits and subsamples see: the labels, or row numbers for per-output labels
    keys = np.zeros(_rows(y)) if isinstance(y, dict) else y
    stratify = keys.ndim == 1 and np.issubdtype(keys.dtype, np.integer)
    if raw.x_val is not None and raw.y_val is not None:
        xv = _fit_inputs(raw.x_val, space, raw.scaled, [])
        yv = _fit_labels(raw.y_val, space)
        tr_idx, va_idx = np.arange(_rows(y)), None
        vkeys = np.zeros(_rows(yv)) if isinstance(yv, dict) else yv
    else:
        tr_idx, va_idx = _split(keys, validation_split, rng, stratify)
        xv, yv, vkeys = x, y, keys
    if fraction < 1.0:
        tr_idx = _subsample(keys[tr_idx], tr_idx, fraction, rng, stratify)
        if va_idx is None:
            va_idx = _subsample(vkeys, np.arange(len(vkeys)), fraction, rng, stratify)
        else:
            va_idx = _subsample(keys[va_idx], va_idx, fraction, rng, stratify)
    if va_idx is None:
        va_idx = np.arange(_rows(yv))
    data = Data(name=spec, inputs=[i.name for i in space.inputs],
                x_train={k: v[tr_idx] for k, v in x.items()}, y_train=_take(y, tr_idx),
                x_val={k: v[va_idx] for k, v in xv.items()}, y_val=_take(yv, va_idx),
                classes=raw.classes, description=raw.description, notes=notes, seed=seed)
    if data.n_train == 0 or data.n_val == 0:
        raise ArchError(f"--data {spec}: fraction {fraction:g} leaves no training or validation "
                        "examples", hint="use a larger --fraction")
    return data


def _split(y: np.ndarray, share: float, rng, stratify: bool):
    if not stratify:
        idx = rng.permutation(len(y))
        n_val = max(1, int(round(share * len(y))))
        return np.sort(idx[n_val:]), np.sort(idx[:n_val])
    tr, va = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_val = int(round(share * len(idx)))
        if len(idx) > 1:
            n_val = min(max(n_val, 1), len(idx) - 1)
        va.append(idx[:n_val])
        tr.append(idx[n_val:])
    return np.sort(np.concatenate(tr)), np.sort(np.concatenate(va))


def _subsample(y: np.ndarray, idx: np.ndarray, fraction: float, rng, stratify: bool):
    if not stratify:
        n = max(1, int(round(fraction * len(idx))))
        return np.sort(rng.permutation(idx)[:n])
    keep = []
    for c in np.unique(y):
        members = idx[y == c]
        n = max(1, int(round(fraction * len(members))))
        keep.append(rng.permutation(members)[:n])
    return np.sort(np.concatenate(keep))


def _fit_inputs(x: dict[str, np.ndarray], space: Space, scaled: bool,
                notes: list[str]) -> dict[str, np.ndarray]:
    """One float32 array per space input, resized to its HxW and channel count."""
    out: dict[str, np.ndarray] = {}
    for inp in space.inputs:
        if inp.name in x:
            a = x[inp.name]
        elif "x" in x:
            a = x["x"]
            if len(space.inputs) > 1:
                notes.append(f"the one image array feeds input '{inp.name}' too")
        else:
            raise ArchError(f"the data has no array for input '{inp.name}'")
        out[inp.name] = _fit_array(a, tuple(inp.shape), inp.name, scaled, notes)
    return out


def _fit_array(a: np.ndarray, shape: tuple[int, ...], name: str, scaled: bool,
               notes: list[str]) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == np.uint8 and not scaled:
        a = a.astype("float32") / 255.0
    else:
        a = a.astype("float32")
    if len(shape) == 3:
        if a.ndim == 3:
            a = a[..., None]
        if a.ndim != 4:
            raise ArchError(f"input '{name}' is an image ({'x'.join(map(str, shape))}); the data "
                            f"has shape {a.shape[1:]}")
        h, w, c = shape
        if a.shape[1:3] != (h, w):
            notes.append(f"resized {a.shape[1]}x{a.shape[2]} images to {h}x{w} for '{name}'")
            a = _resize(a, h, w)
        if a.shape[3] != c:
            if a.shape[3] == 1:
                a = np.repeat(a, c, axis=3)
                notes.append(f"repeated the gray channel {c} times for '{name}'")
            elif c == 1 and a.shape[3] in (3, 4):
                a = a[..., :3].mean(axis=3, keepdims=True)
                notes.append(f"converted colour images to gray for '{name}'")
            else:
                raise ArchError(f"input '{name}' has {c} channels; the data has {a.shape[3]}")
        return np.ascontiguousarray(a, dtype="float32")
    if a.shape[1:] != shape:
        if int(np.prod(a.shape[1:])) == int(np.prod(shape)):
            return a.reshape((len(a),) + shape)
        raise ArchError(f"input '{name}' has shape {'x'.join(map(str, shape))}; the data has "
                        f"{'x'.join(map(str, a.shape[1:]))}")
    return a


def _resize(a: np.ndarray, h: int, w: int, method: str = "bilinear") -> np.ndarray:
    import tensorflow as tf

    parts = [tf.image.resize(a[i:i + 2048], (h, w), method=method).numpy()
             for i in range(0, len(a), 2048)]
    return np.concatenate(parts).astype(a.dtype if method == "nearest" else "float32")


def _rows(y: Any) -> int:
    return len(next(iter(y.values()))) if isinstance(y, dict) else len(y)


def _take(y: Any, idx: np.ndarray) -> Any:
    return {k: v[idx] for k, v in y.items()} if isinstance(y, dict) else y[idx]


def _fit_labels(y: Any, space: Space) -> Any:
    if isinstance(y, dict):   # one array per output: integer class indices stay integers
        if len({len(v) for v in y.values()}) > 1:
            raise ArchError("the label arrays of the outputs have different lengths: "
                            + ", ".join(f"{k} {len(v)}" for k, v in y.items()))
        return {k: np.asarray(v) if np.issubdtype(np.asarray(v).dtype, np.integer)
                else np.asarray(v, dtype="float32") for k, v in y.items()}
    y = np.asarray(y)
    if space.task == "classification":
        if y.ndim == 2 and y.shape[1] > 1:      # one-hot
            y = y.argmax(axis=1)
        y = y.reshape(len(y))
        if not np.issubdtype(y.dtype, np.integer):
            if np.all(np.mod(y, 1) == 0):
                y = y.astype("int64")
            else:
                raise ArchError("classification labels must be class indices 0..K-1")
        return y.astype("int64")
    if space.task == "segmentation":
        img = next((i for i in space.inputs if len(i.shape) == 3), None)
        if img is not None and y.ndim >= 3 and y.shape[1:3] != tuple(img.shape[:2]):
            y3 = y if y.ndim == 4 else y[..., None]
            y = _resize(y3.astype("float32"), img.shape[0], img.shape[1], "nearest")
            y = y.astype("int64")
        return y
    return y.astype("float32")


def n_classes(data: Data) -> int | None:
    """The number of classes the labels hold (classification)."""
    if data.classes:
        return len(data.classes)
    if isinstance(data.y_train, dict):
        return None
    if data.y_train.ndim == 1 and np.issubdtype(data.y_train.dtype, np.integer):
        return int(max(data.y_train.max(), data.y_val.max())) + 1
    return None


__all__ = ["Data", "Raw", "LOADERS", "loader", "load_data", "resolve_loader", "n_classes"]
