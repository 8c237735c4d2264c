"""Optional extras a command needs, checked before the command reads data or writes a file.

`pip install archspace` is the light core (parse, lint, show); the rest comes with an extra.
A command that needs one calls `require(extra, command)` first, so that a missing package is
reported as "install this extra" (exit code 3) rather than as a ModuleNotFoundError halfway
through, after a run folder was made."""

from __future__ import annotations

import importlib

#: the modules each extra must make importable (top-level names, what the code imports)
EXTRAS: dict[str, tuple[str, ...]] = {
    "keras": ("keras",),
    "search": ("keras", "keras_tuner", "tensorflow", "pymoo", "sklearn", "matplotlib"),
    "features": ("mediapipe", "cv2", "PIL"),
    "lsp": ("pygls", "lsprotocol"),
}

#: a module -> the smallest extra that installs it (for an ImportError met anywhere)
PROVIDED_BY: dict[str, str] = {}
for _extra in ("lsp", "features", "search", "keras"):       # the smallest extra wins: keras last
    for _module in EXTRAS[_extra]:
        PROVIDED_BY[_module] = _extra


class MissingExtra(ImportError):
    """A module of an optional extra cannot be imported."""

    def __init__(self, module: str, extra: str, command: str | None = None, cause: str = ""):
        self.module, self.extra, self.command = module, extra, command
        who = f"archspace {command}" if command else "this command"
        why = f" ({cause})" if cause else ""
        super().__init__(f"{who} needs the '{extra}' extra: {module} cannot be imported{why}")

    @property
    def hint(self) -> str:
        return f'pip install "archspace[{self.extra}]"'


def require(extra: str, command: str | None = None) -> None:
    """Import every module of `extra` (they are about to be used anyway) or raise MissingExtra.

    Importing, not just finding, the module: a package that is there but broken (a wrong
    TensorFlow wheel, a half-removed install) fails here too."""
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise MissingExtra(module, extra, command, _short(e)) from e


def missing_extra_of(e: ImportError) -> MissingExtra | None:
    """The MissingExtra an ImportError raised deep in a command stands for, if any."""
    name = (getattr(e, "name", None) or "").partition(".")[0]
    extra = PROVIDED_BY.get(name)
    return MissingExtra(name, extra, None, _short(e)) if extra else None


def _short(e: ImportError) -> str:
    return str(e).strip().partition("\n")[0][:200]
