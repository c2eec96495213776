"""A lying OpenAI-compatible chat endpoint for the tests: `/v1/models` and `/v1/chat/completions`, streamed
(SSE) or not, on 127.0.0.1 (stdlib http.server in a thread). The product is pointed at it as a user points it
at vLLM, Ollama or llama.cpp's server (LLM_CHOICE=endpoint, LLM_PROVIDER=openai, LLM_BASE_URL).

It reads the requests generically:
- a *check* request asks for `logprobs` (or for at most 2 tokens): the model answers "yes" (log-probability near
  0, "no" far below, in OpenAI's logprobs format) when the request holds the case's figure, "no" otherwise, as a
  judge that knows the answer would (a case can make it always say "no", or give no logprobs);
- any other request is a *say/answer* request: its last user message holds extracts as lines
  `[n] Vendor | Section :: text`. The honest model restates the extract that holds the case's figure, with its
  marker; the liar restates it with the figure changed (a regex on the extract), cites a marker that does not
  exist, or wraps it in markup or an instruction. Whether the lie could be told (the regex matched an extract
  the product sent) is recorded, so that a case the product never exposed to the lie fails instead of passing.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL_ID = "lying-model"
_EXTRACT = re.compile(r"^\[(\d+)\] [^\n]*? :: (.+)$", re.M)


@dataclass(frozen=True)
class Case:
    """One question put to the product and what the model does with it.

    lie: "honest" (restates the extract holding `pattern`), "figure" (the same with `pattern` replaced by
    `repl`), "marker" (cites [9]), "markup" (adds `payload`), "instruction" (starts with `payload`).
    `shown` is the text that must appear in an honest answer; `forbidden` the text that must never appear
    outside the verbatim quotes of a lie's answer. `check`: "yes", "no" or "nologprobs" (a yes without
    log-probabilities, as from a provider that has none)."""

    name: str
    question: str
    vendor: str | None
    lie: str
    pattern: str
    repl: str = ""
    shown: str = ""
    forbidden: str = ""
    payload: str = ""
    check: str = "yes"


@dataclass
class Exchange:
    """One request the endpoint answered."""

    kind: str  # "check" | "say"
    stream: bool
    reply: str
    extracts: list[tuple[int, str]] = field(default_factory=list)
    applied: bool = False  # the case's pattern matched an extract (so the lie was told)


class LyingModel:
    """The model behind the endpoint: set `case` before each question; `exchanges` records every request."""

    def __init__(self, refuse_logprobs: bool = False) -> None:
        self.case: Case | None = None
        self.exchanges: list[Exchange] = []
        self.lock = threading.Lock()
        # a server that does not offer log-probabilities and says so (HTTP 400), as some providers do
        self.refuse_logprobs = refuse_logprobs

    def start(self, case: Case) -> None:
        with self.lock:
            self.case, self.exchanges = case, []

    @property
    def applied(self) -> bool:
        return any(e.applied for e in self.exchanges if e.kind == "say")

    # ----------------------------------------------------------------------------------- answering
    def answer(self, body: dict[str, Any]) -> tuple[str, dict[str, Any] | None, Exchange]:
        """(content, logprobs or None, record) for one chat-completion request."""
        case = self.case
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or 10**6
        messages = body.get("messages") or []
        last_user = next(
            (str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        if body.get("logprobs") or int(max_tokens) <= 2:
            # a judge that knows the answer: yes for the sentence holding the case's figure, no for others
            holds = case is None or bool(re.search(case.pattern, " ".join(last_user.split())))
            verdict = "yes" if holds and not (case and case.check == "no") else "no"
            lp = (
                None
                if case and case.check == "nologprobs"
                else _logprobs(verdict, int(body.get("top_logprobs") or 5))
            )
            return (
                verdict,
                lp if body.get("logprobs") else None,
                Exchange("check", bool(body.get("stream")), verdict),
            )
        last_user = next(
            (str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        extracts = [(int(n), text.strip()) for n, text in _EXTRACT.findall(last_user)]
        reply, applied = self._say(case, extracts)
        return reply, None, Exchange("say", bool(body.get("stream")), reply, extracts, applied)

    @staticmethod
    def _say(case: Case | None, extracts: list[tuple[int, str]]) -> tuple[str, bool]:
        if not extracts:
            return "NOT_FOUND", False
        n, text, applied = extracts[0][0], extracts[0][1], False
        if case is not None:
            for en, et in extracts:
                if re.search(case.pattern, et):
                    n, text, applied = en, et, True
                    break
        body = text.rstrip().rstrip(".")
        if case is None or case.lie == "honest":
            return f"{body} [{n}].", applied
        if case.lie == "figure":
            changed = re.sub(case.pattern, case.repl, body, count=1)
            return f"{changed} [{n}].", applied and changed != body
        if case.lie == "marker":
            return f"{body} [9].", applied
        if case.lie == "markup":
            return f"{body} [{n}]. {case.payload}", applied
        if case.lie == "instruction":
            return f"{case.payload} {body} [{n}].", applied
        raise ValueError(f"unknown lie {case.lie!r}")


def _logprobs(verdict: str, top: int) -> dict[str, Any]:
    """OpenAI's logprobs object for a one-token reply: the verdict near 0, the other far below."""
    other = "no" if verdict == "yes" else "yes"
    alts = [(verdict, -0.0005), (other, -7.6), (verdict.capitalize(), -9.1), ("Based", -11.0), (".", -12.5)]
    entry = [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in alts[: max(top, 2)]]
    return {"content": [{**entry[0], "top_logprobs": entry}], "refusal": None}


# ------------------------------------------------------------------------------------------ the server
class _Handler(BaseHTTPRequestHandler):
    model: LyingModel  # set on the subclass built by serve()
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default stderr log
        return

    def _json(self, code: int, obj: dict[str, Any]) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.rstrip("/").endswith("/v1/models"):
            self._json(
                200,
                {
                    "object": "list",
                    "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "tests"}],
                },
            )
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
            return
        if not self.path.rstrip("/").endswith("/v1/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        if self.model.refuse_logprobs and (body.get("logprobs") or body.get("top_logprobs")):
            message = "logprobs are not supported by this model"
            self._json(400, {"error": {"message": message, "type": "invalid_request_error"}})
            return
        content, logprobs, ex = self.model.answer(body)
        with self.model.lock:
            self.model.exchanges.append(ex)
        cid, created = f"chatcmpl-{len(self.model.exchanges)}", int(time.time())
        if not body.get("stream"):
            self._json(
                200,
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": MODEL_ID,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "logprobs": logprobs,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
                },
            )
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for chunk in _sse_chunks(cid, created, content, logprobs, body):
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def _sse_chunks(
    cid: str, created: int, content: str, logprobs: dict[str, Any] | None, body: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID}
    yield {
        **base,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    }
    pieces = re.findall(r"\S+\s*|\s+", content) or [""]
    for i, piece in enumerate(pieces):
        lp = logprobs if i == 0 else None
        yield {
            **base,
            "choices": [{"index": 0, "delta": {"content": piece}, "logprobs": lp, "finish_reason": None}],
        }
    yield {**base, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]}
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {
            **base,
            "choices": [],
            "usage": {
                "prompt_tokens": 10,
                "completion_tokens": len(pieces),
                "total_tokens": 10 + len(pieces),
            },
        }


class _Server(ThreadingHTTPServer):
    """Keeps its clients' connections, so that stopping the server also drops the kept-alive ones (a server
    that goes down closes them; http.server alone leaves their handler threads serving)."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def drop_connections(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


@contextmanager
def serve(model: LyingModel, port: int = 0) -> Iterator[str]:
    """Run the endpoint on 127.0.0.1 (`port`, or a free one) while the block runs; yields its base URL
    (".../v1"). Serving again on the same port is a server that went down and came back."""
    handler = type("LyingHandler", (_Handler,), {"model": model})
    server = _Server(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name="lying-endpoint", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.drop_connections()
        server.server_close()
        thread.join(timeout=5)
