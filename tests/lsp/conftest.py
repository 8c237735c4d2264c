"""A minimal LSP client for the tests: starts `archspace lsp` as a child process and speaks
JSON-RPC with Content-Length framing over its stdin/stdout, as an editor does. Every read has
a timeout; the child is always killed."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")

ROOT = Path(__file__).resolve().parents[2]
#: seconds any one answer may take before the test fails (a hang, not a speed limit)
TIMEOUT = 60


def command() -> list[str]:
    """`archspace` as installed next to this Python (the console script), else the same
    entry point through the interpreter."""
    script = Path(sys.executable).parent / "archspace"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from archspace.cli import main; sys.exit(main())"]


class Client:
    def __init__(self, cwd: Path):
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(command() + ["lsp"], cwd=cwd,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.messages: "queue.Queue[dict]" = queue.Queue()
        self.stderr: list[bytes] = []
        self.next_id = 0
        self.notes: list[dict] = []      # notifications read while waiting for a response
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                k, _, v = line.decode("ascii").partition(":")
                headers[k.strip().lower()] = v.strip()
            body = out.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        msg = self.wait(lambda m: m.get("id") == rid and "method" not in m)
        assert "error" not in msg, msg
        return msg.get("result")

    def wait(self, match, timeout: float = TIMEOUT) -> dict:
        """The first message (kept or new) that `match` accepts."""
        for i, m in enumerate(self.notes):
            if match(m):
                return self.notes.pop(i)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no answer within {timeout} s; stderr: "
                                     + b"".join(self.stderr).decode(errors="replace")[-2000:])
            try:
                m = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if match(m):
                return m
            self.notes.append(m)

    def diagnostics(self, uri: str, version: int) -> list[dict]:
        m = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == uri and m["params"].get("version") == version)
        return m["params"]["diagnostics"]

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def client(tmp_path):
    c = Client(tmp_path)
    try:
        result = c.request("initialize", {"processId": os.getpid(), "rootUri": tmp_path.as_uri(),
                                          "capabilities": {}})
        c.capabilities = result["capabilities"]
        c.notify("initialized", {})
        yield c
    finally:
        c.close()
