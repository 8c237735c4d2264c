"""The shipped spaces (spaces/*.arch, spaces/lib/*.arch): they parse, their default
configurations build, `archspace show` describes them, and their static counts reproduce the
published numbers. Each group of numbers below names where it was published (a paper and its
table, a reference implementation, an authors' public log). Static only: no TensorFlow here
(the Keras counts are tests/compile's and tests/analysis/test_keras_counts.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import archspace
from archspace.analysis.cardinality import cardinality, enumerate_configs
from archspace.cli import main

ROOT = Path(__file__).resolve().parents[2]
SPACES = ROOT / "spaces"
SPACE_FILES = sorted(SPACES.glob("*.arch"))
LIB_FILES = sorted((SPACES / "lib").glob("*.arch"))
ARCHSPACE = str(Path(sys.executable).with_name("archspace"))
EXPECTED = {  # the spaces issue 5 asks for; a missing one is a failure, not a skip
    "squeezenet", "squeezenet_auto", "squeezenet_se_auto", "squeezenet_se1_auto",
    "squeezenet_sem_auto", "mlp_auto", "grunas_shufflenet", "cell_space", "unet", "unet_auto",
    "mobilenetv2", "mobilenetv2_ssd_auto",
}


def load(name: str, image=None, classes=None) -> archspace.Space:
    s = archspace.parse_file(SPACES / f"{name}.arch")
    if image or classes:
        s = s.with_overrides({s.inputs[0].name: image} if image else None,
                             {s.outputs[0].name: classes} if classes else None)
    return s


def params(space, config=None) -> int:
    return archspace.build_graph(space, config).params


# ---- every shipped file ----------------------------------------------------------------------
def test_every_expected_space_ships():
    assert EXPECTED <= {p.stem for p in SPACE_FILES}


@pytest.mark.parametrize("path", SPACE_FILES + LIB_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parses_and_cites_its_source(path):
    archspace.parse_file(path)
    header = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    text = " ".join(header)
    assert header, f"{path.name} has no header comment"
    assert re.search(r"Source|seed 00\d|et al\.", text), f"{path.name}: the header cites no source"


@pytest.mark.parametrize("path", SPACE_FILES, ids=lambda p: p.stem)
def test_default_builds_with_every_output(path):
    s = archspace.parse_file(path)
    assert s.name == path.stem
    g = archspace.build_graph(s)
    assert g.params > 0
    assert set(g.outputs) == {o.name for o in s.outputs}
    assert set(g.inputs) == {i.name for i in s.inputs}
    dl = archspace.decisions(s)
    assert all(d.when != () for d in dl), "a parameter is declared but never used"


@pytest.mark.parametrize("path", SPACE_FILES, ids=lambda p: p.stem)
def test_show_reports_size_and_counts(path, capsys):
    assert main(["show", str(path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    s = archspace.parse_file(path)
    assert shown["space"] == s.name
    assert [d["path"] for d in shown["decisions"]] == [d.path for d in archspace.decisions(s)]
    summary = shown["summary"]
    card = summary["cardinality"]
    exact = cardinality(s)
    assert card["architectures"] == exact.architectures
    assert card["never_active"] == [] and card["unused"] == []
    if "default" in summary and summary.get("default_error") is None:
        assert summary["default"]["params"] == params(s)


@pytest.mark.parametrize("path", SPACE_FILES, ids=lambda p: p.stem)
def test_lint_clean(path):
    """`archspace lint`: no errors on a shipped space."""
    r = subprocess.run([ARCHSPACE, "lint", str(path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


# ---- SqueezeNet family --------------------------------------------------------------------------
# SqueezeNet 1.0 and 1.1 (Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer
# parameters", 2016): torchvision's squeezenet1_0 / squeezenet1_1 publish 1,248,424 and 1,235,496
# parameters for 1000 classes; the same layers with a 10-filter conv10 give the 32x32 column.
@pytest.mark.parametrize("version, big, small", [("v1_0", 1_248_424, 740_554),
                                                  ("v1_1", 1_235_496, 727_626)])
def test_squeezenet_baselines(version, big, small):
    assert params(load("squeezenet"), {"version": version}) == big
    assert params(load("squeezenet", (32, 32, 3), 10), {"version": version}) == small


def _se_config(space, se=False, skip=False, ratio=32, bypass=False, g1=2, g2=2):
    c = {"group1": g1, "group2": g2}
    for d in archspace.decisions(space):
        for suffix, value in (("/se", se), ("/se/skip", skip), ("/ratio", ratio),
                              ("/bypass", bypass)):
            if d.path.endswith(suffix):
                c[d.path] = value
    return c


# SqueezeNetSEAuto (Chanrachai et al., the SqueezeNetSEMAuto paper): the parameter counts Keras
# reports for the authors' public Keras Tuner model (SqueezeNetSEAuto builder) at these settings,
# BatchNorm moving statistics included; (1000 classes at 224x224, 10 classes at 32x32).
SE_ROWS = [
    ("defaults", {}, 1_236_904, 729_034),
    ("se32", dict(se=True), 1_300_984, 793_114),
    ("se16", dict(se=True, ratio=16), 1_362_504, 854_634),
    ("se8", dict(se=True, ratio=8), 1_485_544, 977_674),
    ("se_skip32", dict(se=True, skip=True), 1_647_352, 1_139_482),
    ("se_skip8", dict(se=True, skip=True, ratio=8), 1_831_912, 1_324_042),
    ("bypass", dict(bypass=True), 1_236_904, 729_034),
    ("pairs_1_0", dict(g1=1, g2=0), 156_040, 28_330),
    ("pairs_1_1", dict(g1=1, g2=1), 378_824, 124_394),
    ("pairs_2_0", dict(g1=2, g2=0), 378_824, 124_394),
    ("pairs_1_2", dict(g1=1, g2=2), 722_728, 341_578),
    ("pairs_2_1", dict(g1=2, g2=1), 722_728, 341_578),
]


@pytest.mark.parametrize("name, kw, big, small", SE_ROWS, ids=[r[0] for r in SE_ROWS])
def test_squeezenet_se_auto_table(name, kw, big, small):
    s = load("squeezenet_se_auto")
    assert params(s, _se_config(s, **kw)) == small
    b = load("squeezenet_se_auto", (224, 224, 3), 1000)
    assert params(b, _se_config(b, **kw)) == big


def test_squeezenet_auto_matches_se_auto_without_se():
    s = load("squeezenet_auto")
    assert params(s) == 729_034
    assert params(load("squeezenet_auto", (224, 224, 3), 1000)) == 1_236_904
    for g1, g2, small in ((1, 0, 28_330), (1, 1, 124_394), (2, 1, 341_578)):
        assert params(s, {"group1": g1, "group2": g2}) == small
    c = cardinality(s)
    assert c.architectures == 420 and c.total == 420 * 2 * 2   # x optimizer x learning rate
    assert len(enumerate_configs(s)) == c.total                 # brute force agrees


def test_se_auto_shapes_at_32():
    g = archspace.build_graph(load("squeezenet_se_auto"))
    by = {n.name: n.shape for n in g.nodes}
    assert by["conv1"][:2] == (16, 16) and by["pool1"][:2] == (7, 7)
    pools = [n.shape[:2] for n in g.nodes if n.op == "pool"]
    assert pools == [(3, 3), (1, 1)]


def test_two_input_variants():
    """SE1Auto = SEAuto at 224x224 with 8 classes plus the depth tower's own conv1 (1 -> 96,
    3x3: 960 params); SEMAuto merged after the stem is SE1Auto."""
    se = params(load("squeezenet_se_auto", (224, 224, 3), 8))
    se1, sem = load("squeezenet_se1_auto"), load("squeezenet_sem_auto")
    assert params(se1) == se + 96 * 9 + 96
    assert params(sem, {"towers/at": "stem"}) == params(se1)
    # merging later duplicates the trunk up to the merge point: one more copy of group 1
    g1 = params(sem, {"towers/at": "group1"}) - params(sem)
    assert g1 > 0
    at_g2 = archspace.build_graph(sem, {"towers/at": "group2"})
    assert {"image.conv1", "depth.conv1"} <= {n.name for n in at_g2.nodes}
    assert cardinality(sem).architectures == 5 * cardinality(se1).architectures  # 5 positions


def test_mlp_auto():
    s = load("mlp_auto")
    dense = lambda i, o: i * o + o  # noqa: E731
    assert params(s) == dense(468 * 3, 128) + 3 * dense(128, 128) + dense(128, 8)
    widths = [d for d in archspace.decisions(s) if d.path.endswith("/units")]
    assert len(widths) == 10 and list(widths[0].domain_values()) == list(range(16, 513, 16))
    assert cardinality(s).architectures == sum(32 ** n for n in range(4, 11))


# ---- GruNAS: tests/spaces/test_grunas.py ---------------------------------------------------------


# ---- cell-based space ----------------------------------------------------------------------------
# Pouy et al.'s cell-based hierarchical space (7 options x 5 ops per block slot, 4 slots, 3
# pipelines, 2 cells of 6): the paper counts (P_B x N_B)^L_B pipelines; the exact count merges
# "skip" with every op (one architecture).
def test_cell_space_counts():
    """The paper's count (skip counted with every op) and the exact count, as the header says."""
    s = load("cell_space")
    c = cardinality(s)
    assert c.architectures == 36 * 31 ** 24 == 22_334_855_794_758_996_774_778_816_256_633_656_356
    assert [g.count for g in c.architecture.groups] == [6 * 31 ** 12] * 2
    paper = (6 * (7 * 5) ** (4 * 3)) ** 2
    assert paper == 36 * 35 ** 24 and f"{paper:.3g}" == "4.11e+38"
    text = (SPACES / "cell_space.arch").read_text()
    for shown in ("1,500,625", "923,521", "4.11e+38", "2.23e+37", f"{c.architectures:,}"):
        assert shown in text
    first = "cell1/parallel/0/pipeline/slot/"
    slot = {d.path.rsplit("/", 1)[1]: len(d.domain_values())
            for d in archspace.decisions(s) if d.path.startswith(first)}
    assert slot == {"option": 7, "op": 5}


def test_cell_space_settings():
    from archspace.ir.settings import constraints, objectives

    s = load("cell_space")
    assert s.inputs[0].shape == (28, 28, 1)
    assert objectives(s) == [("maximize", "val_accuracy"), ("minimize", "params")]
    assert constraints(s) == [("params", "<=", 150_000_000.0)]
    g = archspace.build_graph(s)
    by = {n.name: n for n in g.nodes}
    assert by["fc1"].shape == (2048,) and by["fc2"].shape == (10,)
    drops = [n for n in g.nodes if n.op == "dropout"]
    assert [n.args.get("rate") for n in drops] == [0.7]


# ---- MobileNetV2 and MobileNetV2-SSD-Auto -------------------------------------------------------
# keras.applications.MobileNetV2(alpha=1.0, 224x224, weights=None) has 3,538,984 parameters for
# 1000 classes and 2,270,794 for 10 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear
# Bottlenecks", 2018, as Keras implements it); the replicated blocks B3_3..B6_3 x 1..3 are the
# SqueezeNetSEMAuto paper's MobileNetV2-SSD-Auto.
def test_mobilenetv2_counts():
    assert params(load("mobilenetv2")) == 3_538_984
    assert params(load("mobilenetv2", classes=10)) == 2_270_794
    s = load("mobilenetv2")
    assert [d.path for d in archspace.decisions(s)][:4] == ["b3_3", "b4_3", "b5_3", "b6_3"]
    assert cardinality(s).architectures == 81


def _backbone(graph) -> int:
    names = [n.name for n in graph.nodes]
    return sum(n.params for n in graph.nodes[: names.index("out_relu") + 1])


def test_ssd_backbone_is_mobilenetv2_without_top():
    s = load("mobilenetv2_ssd_auto")
    g = archspace.build_graph(s)
    assert _backbone(g) == 2_257_984      # keras.applications.MobileNetV2(include_top=False)
    assert s.task == "detection"
    assert [d.path for d in archspace.decisions(s)] == ["b3_3", "b4_3", "b5_3", "b6_3",
                                                        "train/learning_rate"]
    c = cardinality(s)
    assert c.architectures == 81 and c.total == 162


def test_ssd_heads_and_anchor_layout():
    s = load("mobilenetv2_ssd_auto")
    g = archspace.build_graph(s)
    by = {n.name: n for n in g.nodes}
    sides = [by[f"cls{k}.conv"].shape[0] for k in range(1, 7)]
    assert sides == [19, 10, 5, 3, 2, 1]                       # SSDLite's maps at 300x300
    anchors = 6 * sum(k * k for k in sides)
    assert g.node(g.outputs["classes"]).shape == (anchors, 11)
    assert g.node(g.outputs["boxes"]).shape == (anchors, 4)
    assert by["cls1.conv"].in_shapes[0][-1] == 96 and by["cls2.conv"].in_shapes[0][-1] == 1280
    small = archspace.build_graph(load("mobilenetv2_ssd_auto", (64, 64, 3)))
    assert [small.node(small.outputs[o]).shape for o in ("classes", "boxes")] == \
        [(6 * (16 + 4 + 4), 11), (6 * (16 + 4 + 4), 4)]


@pytest.mark.parametrize("rep", ["b3_3", "b4_3", "b5_3", "b6_3"])
def test_ssd_replicas_share_the_block_weights(rep):
    """The seed: "all model sizes are the same as the original one": a replica applies the
    block's layers again (shared weights), so only the MACs grow."""
    s = load("mobilenetv2_ssd_auto")
    base = archspace.build_graph(s)
    block = {"b3_3": "block_5", "b4_3": "block_8", "b5_3": "block_12", "b6_3": "block_15"}[rep]
    # layers of copy 0 of the replica carry its index, as its decision paths do ("b3_3[0]/...")
    one_block = sum(n.macs for n in base.nodes if n.name.startswith(f"{rep}_0.{block}."))
    assert one_block > 0
    for r in (2, 3):
        more = archspace.build_graph(s, {rep: r})
        assert more.params == base.params == 3_193_116
        assert more.macs - base.macs == (r - 1) * one_block > 0
        copies = [n for n in more.nodes if n.shares is not None]
        assert copies and all(n.params == 0 for n in copies)
        assert more.node(more.outputs["boxes"]).shape == base.node(base.outputs["boxes"]).shape


# ---- U-Net and UNet-Auto ----------------------------------------------------------------------
# The original U-Net (Ronneberger et al., "U-Net: Convolutional Networks for Biomedical Image
# Segmentation", 2015; 1 input channel, 2 classes) has 31,030,658 parameters, whatever the
# padding; UNet-Auto is the SqueezeNetSEMAuto paper's searched U-Net (weed segmentation).
def _unet_count(levels: int) -> int:
    """Configurations of the level tree: a level has 3 down-conv counts x 9 up-conv counts
    (part 1 x part 2) x (the next level | the bottom, 3 conv counts); the deepest possible
    level always ends in the bottom."""
    count = 3 * 9 * 3
    for _ in range(levels - 1):
        count = 3 * 9 * (count + 3)
    return count


def test_unet_original_count():
    s = load("unet")
    assert params(s) == 31_030_658
    assert params(load("unet", (64, 64, 1))) == 31_030_658      # independent of the input size
    assert cardinality(s).architectures == 4 * 6 * _unet_count(4) == 39_735_360


def test_unet_auto_default_is_the_original_unet():
    s = load("unet_auto")
    assert (s.inputs[0].shape, s.task) == ((256, 256, 3), "segmentation")
    assert params(load("unet_auto", (256, 256, 1), 2)) == 31_030_658
    # 3 RGB channels (2 x 9 x 64 more weights in the first conv) and 3 classes (65 more)
    assert params(s) == 31_030_658 + 2 * 9 * 64 + 65
    names = lambda g: [(n.name, n.shape) for n in g.nodes]  # noqa: E731
    assert names(archspace.build_graph(load("unet_auto", (256, 256, 1), 2))) == \
        names(archspace.build_graph(load("unet")))
    assert cardinality(s).architectures == 4 * 6 * _unet_count(5) == 1_072_856_664


def test_unet_auto_depth_and_length():
    s = load("unet_auto")
    dl = archspace.decisions(s)
    nexts = [d.path for d in dl if d.path.endswith("next")]
    assert len(nexts) == 4                                     # 1..5 down/up blocks
    five = {p: "down" for p in nexts}
    g = archspace.build_graph(s, {**five, "depth": 8})
    by = {n.name: n.shape for n in g.nodes}
    assert by["down5.conv_1.conv"] == (16, 16, 128) and by["bottom.conv_1.conv"] == (8, 8, 256)
    assert g.node(g.outputs["classes"]).shape == (256, 256, 3)
    one = archspace.build_graph(s, {"next": "bottom", "depth": 8})
    assert {n.name for n in one.nodes if n.op == "deconv"} == {"up1.upconv"}
    assert list(archspace.decisions(s).get("depth").domain_values()) == [8, 16, 32, 64]


# ---- layer names ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SPACE_FILES, ids=lambda p: p.stem)
def test_layer_names_carry_the_repeat_copy_of_their_decision_path(path):
    """A layer made in copy k of repeat R (decision path `.../R[k]/...`) is named `R_k.`...,
    the copies in the order of the path, so a Keras summary reads against the decision
    paths (and no two copies differ only by a `_2` suffix)."""
    s = archspace.parse_file(path)
    for seed in (0, 1):
        g = archspace.build_graph(s, archspace.sample_config(s, seed=seed))
        for node in g.nodes:
            copies = [f"{name}_{k}" for name, k in re.findall(r"([^/\[\]]+)\[(\d+)\]",
                                                              node.path or "")]
            parts = node.name.split(".")
            at = [parts.index(c) for c in copies if c in parts]
            assert len(at) == len(copies) and at == sorted(at), (node.path, node.name)


def test_the_repeat_example_of_the_language_reference_names_its_layers_by_copy():
    """docs/language.md, `repeat`: decision blocks[1]/kernel belongs to layer blocks_1.conv."""
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    example = text[text.index("### repeat"):]
    example = example[example.index("```arch\n") + 8:]
    example = example[:example.index("```\n")]
    s = archspace.parse(example)
    g = archspace.build_graph(s, {"blocks": 2, "blocks[1]/kernel": 5})
    by = {n.name: n for n in g.nodes}
    assert by["blocks_1.conv"].path.startswith("blocks[1]/")
    assert by["blocks_1.conv"].args["kernel"] in ((5, 5), 5)
    assert {"blocks_0.conv", "repeat_0.conv", "repeat_1.conv"} <= set(by)
