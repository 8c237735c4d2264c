"""Oniguruma (the regular-expression engine of TextMate and VS Code) through ctypes, when the
system has the library: the TextMate grammar's expressions run by the engine editors use."""

from __future__ import annotations

import ctypes
import ctypes.util

ONIG_OPTION_CAPTURE_GROUP = 1 << 8  # vscode-oniguruma compiles with it
ONIG_MISMATCH = -1


class _Region(ctypes.Structure):
    _fields_ = [("allocated", ctypes.c_int), ("num_regs", ctypes.c_int),
                ("beg", ctypes.POINTER(ctypes.c_int)), ("end", ctypes.POINTER(ctypes.c_int)),
                ("history_root", ctypes.c_void_p)]


def load():
    """The library, or None where it is not installed."""
    name = ctypes.util.find_library("onig")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


class Regex:
    def __init__(self, lib, pattern: str):
        self.lib = lib
        utf8 = ctypes.addressof(ctypes.c_char.in_dll(lib, "OnigEncodingUTF8"))
        syntax = ctypes.addressof(ctypes.c_char.in_dll(lib, "OnigSyntaxOniguruma"))
        encs = (ctypes.c_void_p * 1)(utf8)
        lib.onig_initialize(encs, 1)
        self.reg = ctypes.c_void_p()
        info = (ctypes.c_void_p * 4)()
        pat = pattern.encode("utf-8")
        buf = ctypes.create_string_buffer(pat, len(pat))
        lib.onig_new.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                 ctypes.c_char_p, ctypes.c_uint, ctypes.c_void_p,
                                 ctypes.c_void_p, ctypes.c_void_p]
        end = ctypes.cast(ctypes.addressof(buf) + len(pat), ctypes.c_char_p)
        rc = lib.onig_new(ctypes.byref(self.reg), buf, end, ONIG_OPTION_CAPTURE_GROUP,
                          utf8, syntax, info)
        if rc != 0:
            raise ValueError(f"Oniguruma cannot compile {pattern!r} (code {rc})")
        lib.onig_region_new.restype = ctypes.POINTER(_Region)
        lib.onig_search.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                    ctypes.c_void_p, ctypes.c_void_p,
                                    ctypes.POINTER(_Region), ctypes.c_uint]
        lib.onig_search.restype = ctypes.c_int

    def search(self, data: bytes, pos: int) -> list[tuple[int, int]] | None:
        """The (start, end) byte offsets of the match and of each group (-1 when unset)."""
        buf = ctypes.create_string_buffer(data, len(data))
        base = ctypes.addressof(buf)
        region = self.lib.onig_region_new()
        try:
            rc = self.lib.onig_search(self.reg, base, base + len(data), base + pos,
                                      base + len(data), region, 0)
            if rc == ONIG_MISMATCH:
                return None
            if rc < 0:
                raise RuntimeError(f"onig_search failed ({rc})")
            r = region.contents
            return [(r.beg[i], r.end[i]) for i in range(r.num_regs)]
        finally:
            self.lib.onig_region_free(region, 1)
