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

Whatever the loader, `validate` checks its arrays once, before anything is fitted, a run folder
made or a trial trained, and refuses bad data in one line naming the array: NaN / Inf, scalars,
non-numbers, empty arrays, arrays of different lengths (every input and output, train and
validation), half a validation set, inputs that cannot fit the space's shapes, and labels of
the wrong rank, outside the output's classes (or the class names) or of one class only. Image
folders refuse decompression bombs from the header, before decoding.
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
    #: the name an array has in the source, by key ('x' -> 'images', 'labels' -> 'y'), for
    #: error messages; a validation array is named 'val_' + that
    names: dict[str, str] = field(default_factory=dict)


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
    src: dict[str, str] = {}          # key -> the array's name in the file
    for n in inputs:
        if n in names:
            x[n] = f[n]
    if not x:
        for alias in ("x", "images", "inputs", "data"):
            if alias in names:
                x["x"], src["x"] = f[alias], alias
                break
    missing = [n for n in inputs if n not in x] if len(inputs) > 1 and "x" not in x else []
    if not x or missing:
        raise ArchError(f"{spec}: no array for input(s) {', '.join(missing or inputs)} "
                        f"(arrays: {', '.join(sorted(names))})",
                        hint="name each array after an input of the space, plus 'labels'")
    xv = {k: f["val_" + src.get(k, k)] for k in x if "val_" + src.get(k, k) in names}
    if multi:   # one label array per output
        y: Any = {o: f[o] for o in outs}
        yv: Any = {o: f["val_" + o] for o in outs if "val_" + o in names} or None
        classes, n = None, len(np.atleast_1d(y[outs[0]]))
    else:
        y = f[label]
        src["labels"] = label
        yv = f["val_" + label] if "val_" + label in names else None
        classes = next(([str(c) for c in f[k]] for k in ("class_names", "classes")
                        if k in names and f[k].dtype.kind in "USO"), None)   # names, not labels
        n = len(np.atleast_1d(y))
    # both halves of a fixed validation set or neither: validate() refuses half of one
    return Raw(x=x, y=y, x_val=xv or None, y_val=yv, classes=classes, names=src,
               description=f"{spec}: {n:,} examples" +
                           (f" + {len(np.atleast_1d(next(iter(xv.values())))):,} validation"
                            if yv is not None and xv else ""))


def _folder(spec: str, space: Space) -> Raw:
    from PIL import Image

    from ..features.files import UnreadableImage, open_image

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
                    with open_image(p) as im:       # refuses a decompression bomb unread
                        im = im.convert(mode).resize((w, h), Image.BILINEAR)
                        a = np.asarray(im, dtype="uint8")
                except UnreadableImage as e:
                    raise ArchError(f"--data {spec}: image {p.relative_to(root).as_posix()}: "
                                    f"{e}") from None
                except Exception as e:  # noqa: BLE001 - Pillow raises many kinds for bad files
                    why = str(e).splitlines()[0] if str(e) else type(e).__name__
                    raise ArchError(f"--data {spec}: cannot read image "
                                    f"{p.relative_to(root).as_posix()}: {why}") from None
                xs.append(a.reshape(h, w, c))
                ys.append(k)
    if not xs:
        raise ArchError(f"{spec}: no images found (looked for {', '.join(IMAGE_SUFFIXES)})")
    return Raw(x={"x": np.stack(xs)}, y=np.asarray(ys, dtype="int64"), classes=classes,
               description=f"{spec}: {len(xs):,} images in {len(classes)} classes",
               names={"x": "images", "labels": "class subfolders"})


# ---- validation: once, on load ---------------------------------------------------------------
def validate(raw: Raw, space: Space, spec: str) -> None:
    """Refuse data that would train silently wrong or fail late, in one line naming the array:
    scalars, non-numbers, empty arrays, NaN / Inf, half a validation set, arrays of different
    lengths, inputs that do not fit the space's input shapes, labels of the wrong rank, outside
    the output's classes, or of one class only. Raises ArchError."""
    where = f"--data {spec}"

    def name(key: str, val: bool = False) -> str:
        n = raw.names.get(key, key)
        return _q("val_" + n if val else n)

    def label_keys(y: Any) -> list[str]:
        return list(y) if isinstance(y, dict) else ["labels"]

    # a fixed validation set comes whole or not at all: half of one is a mistake, not ignored
    if (raw.x_val is None) != (raw.y_val is None):
        have, lack = ((raw.x_val, label_keys(raw.y)) if raw.x_val is not None else
                      (raw.y_val, list(raw.x)))
        have_key = next(iter(have)) if isinstance(have, dict) else "labels"
        raise ArchError(f"{where}: {name(have_key, True)} but no "
                        f"{', '.join(name(k, True) for k in lack)}: give the validation set's "
                        "inputs and labels, or neither")
    parts = [(False, raw.x, raw.y)]
    if raw.x_val is not None:
        missing = [k for k in raw.x if k not in raw.x_val]
        if isinstance(raw.y, dict):
            yv = raw.y_val if isinstance(raw.y_val, dict) else {}
            missing += [k for k in raw.y if k not in yv]
        if missing:
            raise ArchError(f"{where}: the validation set lacks "
                            f"{', '.join(name(k, True) for k in missing)}")
        parts.append((True, raw.x_val, raw.y_val))

    for val, x, y in parts:
        arrays = [(name(k, val), a) for k, a in x.items()]
        ys = y if isinstance(y, dict) else {"labels": y}
        arrays += [(name(k, val), a) for k, a in ys.items()]
        for label, a in arrays:
            _check_array(np.asarray(a), label, where)
        lengths = [(label, len(a)) for label, a in arrays]
        if len({n for _, n in lengths}) > 1:
            raise ArchError(f"{where}: arrays of different lengths: " +
                            ", ".join(f"{label} {n:,}" for label, n in lengths) +
                            " (one row per example in each)")
        for inp in space.inputs:
            key = inp.name if inp.name in x else "x" if "x" in x else None
            if key is not None:
                _check_input_shape(np.asarray(x[key]), tuple(inp.shape), name(key, val),
                                   inp.name, where)

    # labels against the outputs: class indices in range, two classes at least
    for val, _, y in parts:
        if isinstance(y, dict):
            for o in space.outputs:
                a = np.asarray(y[o.name]) if o.name in y else None
                if a is not None and a.dtype.kind in "biu" and space.task != "regression":
                    _check_range(a, name(o.name, val), _classes(space, o), None, o.name,
                                 o is space.outputs[0], where)
            continue
        out = space.outputs[0] if space.outputs else None
        units = _classes(space, out) if out is not None else None
        if space.task == "classification":
            idx = _class_indices(np.asarray(y), name("labels", val), where)
            k = len(raw.classes) if raw.classes else units    # fit_outputs takes the names'
            _check_range(idx, name("labels", val), k, raw.classes, out.name if out else "",
                         True, where)
            if not val:
                present = np.unique(idx)
                if len(present) < 2 or (raw.classes is not None and len(raw.classes) < 2):
                    c = int(present[0])
                    shown = raw.classes[c] if raw.classes and c < len(raw.classes) else c
                    raise ArchError(f"{where}: one class only in {name('labels')} ({shown}); "
                                    "a classifier needs at least two")
        elif space.task == "segmentation" and np.asarray(y).dtype.kind in "biu":
            # float masks may be a sigmoid head's targets: only integer ones are class indices
            _check_range(np.asarray(y), name("labels", val), units, None,
                         out.name if out else "", True, where)


def _q(name: str) -> str:
    """An array's name quoted; a description ('class subfolders') as it is."""
    return name if " " in name else f"'{name}'"


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "a single value"


def _at(index: Any) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _check_array(a: np.ndarray, label: str, where: str) -> None:
    if a.ndim == 0:
        raise ArchError(f"{where}: {label} is a scalar; it needs one row per example")
    if a.dtype.kind not in "biuf":
        raise ArchError(f"{where}: {label} holds {a.dtype} values, not numbers")
    if len(a) == 0:
        raise ArchError(f"{where}: {label} has no examples")
    if a.dtype.kind == "f":
        _check_finite(a, label, where)


def _check_finite(a: np.ndarray, label: str, where: str) -> None:
    """NaN / Inf, counted, with the first one's index; float64 beyond float32 counts as Inf
    (the pipelines are float32). Chunked: no full-size temporary for a large array."""
    n_nan = n_inf = 0
    first = None
    step = max(1, (1 << 22) // max(1, int(np.prod(a.shape[1:]))))
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(0, len(a), step):
            c = a[i:i + step].astype("float32", copy=False)
            bad = ~np.isfinite(c)
            if bad.any():
                nan = int(np.isnan(c).sum())
                n_nan, n_inf = n_nan + nan, n_inf + int(bad.sum()) - nan
                if first is None:
                    j = np.argwhere(bad)[0]
                    first = (int(j[0]) + i, *j[1:])
    if first is not None:
        kinds = " and ".join(f"{n:,} {k}" for n, k in ((n_nan, "NaN"), (n_inf, "Inf")) if n)
        raise ArchError(f"{where}: {label} has {kinds} value{'s' * (n_nan + n_inf > 1)} "
                        f"(first at {_at(first)}); every value must be finite")


def _check_input_shape(a: np.ndarray, shape: tuple[int, ...], label: str, inp: str,
                       where: str) -> None:
    got = a.shape[1:]
    if 0 in got:
        raise ArchError(f"{where}: {label} has empty rows ({_fmt(got)})")
    if len(shape) == 3:                  # an image: HxW (gray) or HxWxC, resized to fit
        c = shape[2]
        if a.ndim not in (3, 4):
            raise ArchError(f"{where}: {label} has rows of shape {_fmt(got)}; input '{inp}' "
                            f"takes {_fmt(shape)} images")
        ch = a.shape[3] if a.ndim == 4 else 1
        if ch != c and ch != 1 and not (c == 1 and ch in (3, 4)):
            raise ArchError(f"{where}: {label} has {ch} channels; input '{inp}' takes {c} "
                            f"({_fmt(shape)})")
    elif got != shape and int(np.prod(got)) != int(np.prod(shape)):
        raise ArchError(f"{where}: {label} has rows of shape {_fmt(got)}; input '{inp}' takes "
                        f"{_fmt(shape)}")


def _class_indices(y: np.ndarray, label: str, where: str) -> np.ndarray:
    """Classification labels as one int64 class index per example (from N, Nx1 or one-hot)."""
    if y.ndim == 2 and y.shape[1] > 1:       # one-hot (or probabilities)
        y = y.argmax(axis=1)
    elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
        y = y.reshape(len(y))
    else:
        raise ArchError(f"{where}: {label} has shape {_fmt(y.shape)}; classification takes "
                        "one class index per example (N) or one-hot rows (N x classes)")
    _check_integral(y, label, where)
    return y.astype("int64")


def _check_integral(y: np.ndarray, label: str, where: str) -> None:
    if y.dtype.kind == "f":
        frac = np.mod(y, 1) != 0
        if frac.any():
            raise ArchError(f"{where}: {label} must hold class indices 0..K-1; "
                            f"{int(frac.sum()):,} are not whole numbers (first at "
                            f"{_at(np.argwhere(frac)[0])})")


def _check_range(y: np.ndarray, label: str, k: int | None, names: list[str] | None,
                 output: str, overridable: bool, where: str) -> None:
    """Class indices in [0, k): a negative one, or one past the output's units, fails every
    trial inside TensorFlow with a cut-off message."""
    lo, hi = y.min(), y.max()
    if lo < 0:
        raise ArchError(f"{where}: {label} has negative class indices ({int(lo)}, first at "
                        f"{_at(np.argwhere(y < 0)[0])}); classes are numbered from 0")
    if k is None or hi < k:
        return
    first = _at(np.argwhere(y >= k)[0])
    if names:
        raise ArchError(f"{where}: {label} holds class {int(hi)} (first at {first}) but there "
                        f"are {k} class names; labels are 0..{k - 1}")
    fix = f"; pass --classes {int(hi) + 1} if the labels are right" if overridable else ""
    raise ArchError(f"{where}: {label} holds class {int(hi)} (first at {first}) but output "
                    f"'{output}' has {k} classes (0..{k - 1}){fix}")


def _classes(space: Space, out: Any) -> int | None:
    """The classes an output's labels index: its size when a constant of 2 or more (one unit
    is a sigmoid head, whose 0/1 targets are not indices; no range check then)."""
    from ..ir.walk import Scope, Walker

    try:
        u = Walker(space).evaluate(out.units, Scope())
    except ArchError:
        return None
    return u if isinstance(u, int) and not isinstance(u, bool) and u > 1 else None


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
    validate(raw, space, spec)           # once, before any fitting, run folder or trial
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
        return _class_indices(y, "labels", "the data")
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


__all__ = ["Data", "Raw", "LOADERS", "loader", "load_data", "resolve_loader", "n_classes",
           "validate"]
