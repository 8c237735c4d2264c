"""Small crafted spaces (a few thousand configurations at most) that exercise every construct;
the tests check the static analyses against brute-force enumeration on them."""

MIX = """
space mix
input image: 16x16x3
param w = choice(8, 16)
block unit(c) {
  let ch = in.channels
  conv(c, 3x3, relu)
  choice op { a: conv(ch, 1x1) | b: dwconv(3x3) | c: conv(c, choice(1, 3), stride=choice(1, 2)) }
}
network {
  conv(w, 3x3) as stem
  repeat r[i] in 0..2 {
    shared param s = choice(1, 2)
    unit(w * s) as u[i]
    optional merge add with stem project
  }
  parallel { conv(w, 1x1) | identity } merge concat
  dropout(float(0.0, 0.5))
  optional { global_avg_pool; dense(10) }
}
train { optimizer = choice(adam, sgd) }
"""

BAD_BYPASS = """
space bad_bypass
import "lib/squeezenet.arch"
input image: 32x32x3
output classes: 10
network {
  conv(96, 3x3, stride=2, relu) as conv1
  repeat g[k] in 1..3 {
    optional skip bypass { fire(16 * (k + 1)) }
    optional maxpool(2x2)
  }
  choice head { a: conv(classes, 1x1) | b: dense(choice(10, 20)) }
  global_avg_pool
}
"""

# two inputs through their own copies of a trunk up to a searched merge point
TOWERS = """
space towers
input image: 16x16x3
input depth: 16x16x1
network {
  towers(image, depth) merge choice(add, max) at choice(@a, @b, @c) {
    conv(choice(8, 16), 3x3, relu) as first
    @a
    optional bn
    repeat 1..2 { conv(16, 3x3, relu) }
    @b
    optional { maxpool(2x2) }
    merge add with first
    @c
  }
  global_avg_pool
  dense(4)
}
"""

# a U-Net whose up path can be longer than its down path: filters 0 for some configurations
UNET = """
space unet_small
input image: 16x16x1
network {
  param f = choice(4, 8) default 8
  repeat down[i] in 1..2 default 2 {
    conv(f * (i + 1), 3x3, relu) as skip[i]
    maxpool(2x2)
  }
  conv(f * 4, 3x3, relu)
  repeat up[j] in 1..3 default 2 {
    upsample(2)
    conv(f * (down.count - j), 3x3, relu)
    merge concat with skip[down.count - j - 1]
  }
  conv(2, 1x1, softmax)
}
"""

# choice on a parameter, a skip whose merge is searched, a block argument reading `in`
SWITCH = """
space switch
input image: 8x8x4
param kind = choice(wide, narrow) default narrow
block body(k) {
  choice k {
    wide: conv(16, 3x3, relu)
  | narrow: conv(4, 3x3, relu)
  }
}
block mix(c = in.channels) {
  conv(c, 1x1)
}
network {
  optional skip res project merge choice(add, concat) { body(kind) }
  mix()
  repeat n in 0..3 { conv(choice(4, 8), 1x1) }
  conv(4 * n.count + 4, 1x1)
}
"""

ALL = {"mix": MIX, "bad_bypass": BAD_BYPASS, "towers": TOWERS, "unet": UNET, "switch": SWITCH}
