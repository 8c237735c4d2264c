"""Take the README's editor screenshot: Neovim (its built-in LSP client) editing the example
of docs/editor.md with `archspace lsp` attached, in a pseudo-terminal; the terminal's screen
(pyte keeps it) is then saved as a PNG cell by cell, colours and all. Nothing is drawn that
Neovim did not put on the screen.

Needs: nvim (0.7+) on PATH, `archspace` with the lsp extra, and `pip install pyte pillow`.

    python docs/img/editor_screenshot.py [--out docs/img/editor_lsp.png]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import struct
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLS, ROWS = 112, 36

INIT = r"""
vim.o.number = true
vim.o.termguicolors = true
vim.o.background = "dark"
vim.o.laststatus = 2
vim.o.shortmess = vim.o.shortmess .. "I"
vim.cmd("colorscheme default")
vim.cmd("syntax on")
vim.cmd([[hi Normal guibg=#1e1e1e guifg=#d4d4d4 | hi NormalFloat guibg=#2b2d3a guifg=#e6e6e6]])
vim.cmd([[hi FloatBorder guibg=#2b2d3a guifg=#8f93a2 | hi LineNr guifg=#6e7681 | hi SignColumn guibg=#1e1e1e]])
vim.cmd([[hi DiagnosticVirtualTextWarn guifg=#e0af68 | hi DiagnosticUnderlineWarn gui=underline guisp=#e0af68]])
vim.cmd([[hi StatusLine guibg=#3b3f51 guifg=#e6e6e6 gui=NONE]])
vim.lsp.handlers["textDocument/hover"] = vim.lsp.with(vim.lsp.handlers.hover, { border = "rounded" })
-- Markdown's syntax marks a `_` inside a word as an error; a hover has many (hard_swish)
vim.cmd([[hi link markdownError NormalFloat]])
vim.diagnostic.config({ virtual_text = { prefix = "●" }, underline = true, signs = true })
vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, { pattern = "*.arch",
  callback = function()
    vim.bo.filetype = "arch"
    vim.bo.commentstring = "# %s"
    vim.cmd([[syntax keyword archKeyword space import input output network param repeat in default choice optional skip merge block train search as let]])
    vim.cmd([[syntax match archComment /#.*/]])
    vim.cmd([[syntax match archNumber /\<\d\+\(x\d\+\)*\>/]])
    vim.cmd([[syntax region archString start=/"/ end=/"/]])
    vim.cmd([[hi link archKeyword Statement | hi link archComment Comment | hi link archNumber Number | hi link archString String]])
    local id = vim.lsp.start_client({ name = "archspace", cmd = { "archspace", "lsp" },
                                      root_dir = vim.fn.getcwd() })
    vim.lsp.buf_attach_client(0, id)
  end })
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "img" / "editor_lsp.png"))
    args = ap.parse_args()
    import pyte

    page = (ROOT / "docs" / "editor.md").read_text()
    example = re.findall(r"```arch\n(.*?)```", page, re.S)[0]
    # the page's example with its typo fixed and a parameter nothing uses: a warning (AS107)
    # above the statement hovered, in a space that loads (so the hover has its sizes)
    example = example.replace("maxpoll", "maxpool").replace(
        "  conv(width, 3x3, relu) as stem", "  param ratio = choice(4, 8)\n"
        "  conv(width, 3x3, relu) as stem")
    work = Path(tempfile.mkdtemp())
    (work / "tiny.arch").write_text(example)
    (work / "init.lua").write_text(INIT)

    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.ByteStream(screen)
    pid, fd = pty.fork()
    if pid == 0:  # the child: Neovim in the pseudo-terminal
        os.chdir(work)
        os.environ["TERM"] = "xterm-256color"
        os.execvp("nvim", ["nvim", "-u", "init.lua", "-i", "NONE", "tiny.arch"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    stream.feed(os.read(fd, 65536))
                except OSError:
                    return

    def keys(text: str, wait: float = 0.5) -> None:
        os.write(fd, text.encode())
        pump(wait)

    try:
        pump(6)                          # start, open, first diagnostics
        keys("11G5|", 1)                 # the conv inside the repeat
        keys(":lua vim.lsp.buf.hover()\r", 4)
        render(screen, Path(args.out))
        keys("\x1b:qa!\r", 1)
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    print(f"wrote {args.out}")


PALETTE = ["000000", "cd0000", "00cd00", "cdcd00", "0000ee", "cd00cd", "00cdcd", "e5e5e5",
           "7f7f7f", "ff0000", "00ff00", "ffff00", "5c5cff", "ff00ff", "00ffff", "ffffff"]
NAMES = {"black": 0, "red": 1, "green": 2, "brown": 3, "yellow": 3, "blue": 4, "magenta": 5,
         "cyan": 6, "white": 7}


def colour(value: str, default: str) -> tuple[int, int, int]:
    if value == "default":
        value = default
    elif value in NAMES:
        value = PALETTE[NAMES[value]]
    elif value.startswith("bright"):
        value = PALETTE[8 + NAMES.get(value[6:], 7)]
    return tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def render(screen, out: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    # Pillow finds a font by file name in the system's font folders
    font = ImageFont.truetype("DejaVuSansMono.ttf", 15)
    bold = ImageFont.truetype("DejaVuSansMono-Bold.ttf", 15)
    w, h = 9, 19
    img = Image.new("RGB", (COLS * w + 16, ROWS * h + 16), colour("default", "1e1e1e"))
    draw = ImageDraw.Draw(img)
    for y in range(ROWS):
        line = screen.buffer[y]
        for x in range(COLS):
            ch = line[x]
            fg, bg = colour(ch.fg, "d4d4d4"), colour(ch.bg, "1e1e1e")
            if ch.reverse:
                fg, bg = bg, fg
            px, py = 8 + x * w, 8 + y * h
            draw.rectangle([px, py, px + w - 1, py + h - 1], fill=bg)
            if ch.data.strip():
                draw.text((px, py + 1), ch.data, fill=fg, font=bold if ch.bold else font)
            if ch.underscore:
                draw.line([px, py + h - 2, px + w - 1, py + h - 2], fill=fg)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out)


if __name__ == "__main__":
    main()
