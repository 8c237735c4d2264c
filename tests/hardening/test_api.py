"""The Python API's argument checks: ArchError subclasses, never a raw exception (10.8)."""

from __future__ import annotations

from pathlib import Path

import pytest

import archspace
from archspace.errors import ArchArgumentError, ArchError, ArchImportError

SPACES = Path(__file__).resolve().parents[2] / "spaces"


@pytest.fixture(scope="module")
def space():
    return archspace.parse_file(SPACES / "squeezenet.arch")


@pytest.mark.parametrize("arg", [None, b"input x: 4\nnetwork { dense(2) }\n", 3, 1.5, ["x"]])
def test_parse_takes_text(arg):
    with pytest.raises(ArchArgumentError, match=r"parse\(\) takes the source text as a str"):
        archspace.parse(arg)


@pytest.mark.parametrize("arg", [None, b"spaces/squeezenet.arch", 3, ["a.arch"]])
def test_parse_file_takes_a_file_name(arg):
    with pytest.raises(ArchArgumentError, match="expected a file name"):
        archspace.parse_file(arg)


def test_argument_errors_are_type_errors_too():
    with pytest.raises(TypeError):
        archspace.parse(None)
    assert issubclass(ArchArgumentError, ArchError)


def test_parse_file_of_an_empty_name_and_a_directory(tmp_path):
    with pytest.raises(ArchImportError, match="no file name given"):
        archspace.parse_file("")
    with pytest.raises(ArchImportError, match="it is a directory"):
        archspace.parse_file(tmp_path)


def test_binary_file_is_named(tmp_path):
    bad = tmp_path / "bin.arch"
    bad.write_bytes(b"input x: 4\n\x89PNG\x00\xff\xfe")
    with pytest.raises(ArchImportError) as info:
        archspace.parse_file(bad)
    assert "bin.arch" in info.value.message and "binary" in info.value.message
    assert (info.value.span.line, info.value.span.col) == (2, 1)


@pytest.mark.parametrize("fn", ["decisions", "default_config", "sample_config", "canonical",
                                "config_hash", "build_graph", "analyze", "to_keras",
                                "to_hypermodel"])
@pytest.mark.parametrize("arg", ["spaces/squeezenet.arch", None, 3])
def test_functions_of_a_space_refuse_other_things(fn, arg):
    with pytest.raises(ArchArgumentError, match=rf"{fn}\(\) takes a Space, not "):
        getattr(archspace, fn)(arg)


def test_a_file_name_instead_of_a_space_gets_a_hint():
    with pytest.raises(ArchArgumentError, match=r"parse it first"):
        archspace.to_keras("spaces/squeezenet.arch")


@pytest.mark.parametrize("fn", ["canonical", "config_hash", "build_graph", "to_keras"])
@pytest.mark.parametrize("config", ["x", [("a", 1)], {1: 2}])
def test_configurations_are_dicts_of_paths(space, fn, config):
    with pytest.raises(ArchArgumentError, match="configuration"):
        getattr(archspace, fn)(space, config)


def test_compile_module_checks_too(space):
    from archspace.compile import emit_python, to_keras

    with pytest.raises(ArchArgumentError):
        to_keras("spaces/squeezenet.arch")
    with pytest.raises(ArchArgumentError):
        emit_python(space, "config.json")


@pytest.mark.parametrize("target", [None, 3, [3], [b"x.arch"]])
def test_lint_targets(target):
    with pytest.raises(ArchArgumentError, match="lint"):
        archspace.lint(target)


def test_import_path_argument(tmp_path):
    lib = tmp_path / "shared"
    lib.mkdir()
    (lib / "blocks.arch").write_text("block unit(f) { conv(f, 1x1) }\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    main = proj / "main.arch"
    main.write_text('import "blocks.arch"\ninput x: 8x8x3\nnetwork { unit(8) }\n')
    with pytest.raises(ArchImportError, match="cannot find import 'blocks.arch'"):
        archspace.parse_file(main)
    assert archspace.parse_file(main, import_path=[lib]).block("unit") is not None
    assert archspace.parse_file(main, import_path=str(lib)).block("unit") is not None
    with pytest.raises(ArchImportError, match="is not a folder"):
        archspace.parse_file(main, import_path=[tmp_path / "nope"])
    with pytest.raises(ArchArgumentError):
        archspace.parse_file(main, import_path=[3])
    text = main.read_text()
    assert archspace.parse(text, base_dir=proj, import_path=[lib]).block("unit") is not None
