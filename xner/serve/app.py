"""The HTTP API and web page of `xner serve`: `create_app(models, limits)` -> a FastAPI app.

- `POST /tag`: JSON `{"text": "..."}` (each non-empty line is one sentence, tokenised like
  `xner.data.tokenize.tokenize`: NFC, format characters inside words dropped) or `{"tokens": [["El", "Rey"], ...]}` (pre-tokenised sentences),
  optionally `"lang"` to pick one of the served models (default: the first one). Answers the entities
  with character offsets into `text` (for `tokens` input, `text` is the sentences joined by newlines,
  tokens joined by single spaces, and is returned too), types, tokens and token positions.
- `GET /health`: the served models and limits. `GET /openapi.json`: the API spec.
- `GET /`: one HTML page (`xner/serve/static/`) to paste text and see entities highlighted by type.

Every error is JSON `{"error": code, "detail": message}`: body over `max_body_bytes` -> 413,
more tokens than `max_tokens` -> 413, body not UTF-8 -> 400, not JSON / nested too deeply / wrong
fields / a string holding a lone surrogate escape / unknown or empty language -> 422, unknown path ->
404, wrong method -> 405, and a server fault -> 500 (in the same shape, never plain text). Empty text
is not an error: it has no entities. No `/docs` page: Swagger UI loads from a CDN, blank offline;
`/openapi.json` is the spec. Models are used read-only; each one
sits behind a `BatchingTagger`, so concurrent requests are safe and share model calls.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import xner
from xner.errors import XnerError
from xner.data.tokenize import normalize_token, tokenize
from xner.model.predictor import get_entities
from xner.serve.batcher import BatchingTagger

STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass
class ServeLimits:
    """What one request may ask for. All (ours): the paper has no server."""

    max_body_bytes: int = 256 * 1024  # (ours) larger bodies -> 413 before any parsing
    max_tokens: int = 10_000  # (ours) more tokens in one request -> 413
    max_batch_tokens: int = 8192  # (ours) cap of one batched model call across concurrent requests
    batching: bool = True  # (ours) share model calls between concurrent requests (False: one call each)
    inline_tokens: int = 64  # (ours) a request of up to this many tokens, alone in the server, is tagged on the
    #   event loop (no worker-thread hand-off); 0 = always a worker thread. Concurrent requests still share calls.
    validate_response: bool = False  # (ours) True: FastAPI re-validates each answer against TagResponse, as /tag
    #   did before issue 21 (same JSON, slower); kept for benchmarks/bench_serve.py's old-vs-new run

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_tokens", "max_batch_tokens"):
            if getattr(self, name) <= 0:
                raise XnerError(f"serve limit {name} must be positive")
        if self.inline_tokens < 0:
            raise XnerError("serve limit inline_tokens must be 0 or positive")


class TagRequest(BaseModel):
    """Either raw `text` or pre-tokenised `tokens`, not both."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="Raw text; each non-empty line is one sentence.")
    tokens: list[list[str]] | None = Field(None, description="Pre-tokenised sentences (lists of tokens).")
    lang: str | None = Field(None, description="Language of the text = which served model tags it.")

    @field_validator("text", "lang")
    @classmethod
    def _valid_unicode(cls, value: str | None) -> str | None:
        _check_surrogates(value)
        return value

    @field_validator("tokens")
    @classmethod
    def _tokens_are_words(cls, value: list[list[str]] | None) -> list[list[str]] | None:
        for i, sentence in enumerate(value or []):
            for j, token in enumerate(sentence):
                if not token or any(c.isspace() for c in token):
                    raise ValueError(f"tokens[{i}][{j}] = {token!r}: a token must be non-empty and hold no whitespace")
                _check_surrogates(token, f"tokens[{i}][{j}]")
        return value

    @model_validator(mode="after")
    def _one_input(self) -> "TagRequest":
        if (self.text is None) == (self.tokens is None):
            raise ValueError('give exactly one of "text" or "tokens"')
        return self


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_surrogates(value: str | None, where: str = "the string") -> None:
    """JSON may escape half of a UTF-16 pair (`"\\ud800"`); such a string is not Unicode text and cannot be
    sent back, so it is a bad request (422), not a server error."""
    found = _SURROGATE.search(value) if value else None
    if found:
        raise ValueError(f"{where} holds a lone surrogate escape \\u{ord(found.group()):04x} at character "
                         f"{found.start()} (not valid Unicode)")


class Entity(BaseModel):
    type: str = Field(description="Entity type, e.g. PER, LOC, ORG, MISC.")
    start: int = Field(description="Character offset of the first character in `text`.")
    end: int = Field(description="Character offset one past the last character in `text`.")
    text: str
    tokens: list[str]
    sentence: int = Field(description="Index of the sentence holding the entity.")
    token_start: int = Field(description="Index of the first token in its sentence.")
    token_end: int = Field(description="Index one past the last token in its sentence.")


class TaggedSentence(BaseModel):
    tokens: list[str]
    tags: list[str] = Field(description="IOB2 tag per token.")
    offsets: list[tuple[int, int]] = Field(description="(start, end) character offsets of each token in `text`.")


class TagResponse(BaseModel):
    lang: str
    text: str = Field(description="The text the offsets refer to (for `tokens` input: rebuilt from the tokens).")
    entities: list[Entity]
    sentences: list[TaggedSentence]
    n_tokens: int
    seconds: float = Field(description="Server time for this request.")


class ErrorResponse(BaseModel):
    error: str
    detail: str


class _RequestError(Exception):
    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass
class ServedModel:
    lang: str  # the language it is served for (the key of `create_app(models)`)
    source: str  # path it was loaded from, or the object's type
    tagger: Any
    batcher: BatchingTagger

    def describe(self) -> dict[str, Any]:
        return {"lang": self.lang, "source": self.source, "default_lang": getattr(self.tagger, "default_lang", None),
                "languages": _model_languages(self.tagger), "model_calls": self.batcher.calls}


def _model_languages(tagger: Any) -> list[str] | None:
    words = getattr(getattr(getattr(tagger, "model", None), "vocab", None), "words", None)
    return list(words.languages) if words is not None else None


def load_specs(specs: list[str]) -> dict[str, tuple[str, Any]]:
    """`DIR` or `LANG=DIR` command-line specs -> {lang: (dir, loaded tagger)}, in the order given.

    Without `LANG=`, the model's own `default_lang` names it. Two models for one language are an error.
    """
    out: dict[str, tuple[str, Any]] = {}
    for spec in specs:
        lang, sep, path = spec.partition("=")
        if not sep or Path(spec).exists() or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,15}", lang):
            lang, path = "", spec
        if not Path(path).is_dir():
            raise XnerError("no such model folder", path)
        tagger = xner.load(path)
        lang = lang or tagger.default_lang
        if lang in out:
            raise XnerError(f"two models are served for language {lang!r} ({out[lang][0]} and {path}); "
                            "name one with LANG=DIR", path)
        out[lang] = (path, tagger)
    return out


def load_models(models: Mapping[str, Any], limits: ServeLimits) -> dict[str, ServedModel]:
    """Values: a model folder (loaded with `xner.load`), a loaded tagger, or (source, tagger). Keys: languages."""
    if not models:
        raise XnerError("no model to serve")
    served: dict[str, ServedModel] = {}
    for lang, model in models.items():
        if isinstance(model, (str, Path)):
            source, tagger = str(model), xner.load(model)
        elif isinstance(model, tuple):
            source, tagger = str(model[0]), model[1]
        else:
            source, tagger = type(model).__name__, model
        if not callable(getattr(tagger, "predict", None)):
            raise XnerError(f"the model for {lang!r} has no predict(token_lists, lang=...) method")
        known = _model_languages(tagger)
        if known is not None and lang not in known:
            raise XnerError(f"the model served for {lang!r} has no word vectors for it (it has: {', '.join(known)})",
                            source if isinstance(model, (str, Path)) else None)
        tagger.predict([["xner"]], lang=lang)  # warm-up: the first request should not pay for lazy setup
        batcher = BatchingTagger(tagger, lang, limits.max_batch_tokens, limits.batching)
        served[lang] = ServedModel(lang, source, tagger, batcher)
    return served


def _sentences_from_text(text: str) -> tuple[list[list[str]], list[list[tuple[int, int]]]]:
    """Same sentence split and tokenisation as `Predictor.tag`: each non-empty line is a sentence."""
    tokens, offsets, pos = [], [], 0
    for line in text.splitlines(keepends=True):
        toks = tokenize(line, pos)
        pos += len(line)
        if toks:
            tokens.append([t.text for t in toks])
            offsets.append([(t.start, t.end) for t in toks])
    return tokens, offsets


def _text_from_tokens(token_lists: list[list[str]]) -> tuple[str, list[list[tuple[int, int]]]]:
    offsets, pos, lines = [], 0, []
    for sentence in token_lists:
        spans = []
        for token in sentence:
            spans.append((pos, pos + len(token)))
            pos += len(token) + 1
        pos += 0 if sentence else 1
        offsets.append(spans)
        lines.append(" ".join(sentence))
    return "\n".join(lines), offsets


def _entities(text: str, tokens: list[list[str]], tags: list[list[str]], offsets: list[list[tuple[int, int]]]) -> list[dict]:
    out = []
    for i, (toks, tgs, offs) in enumerate(zip(tokens, tags, offsets)):
        for typ, first, last in get_entities(list(tgs)):
            start, end = offs[first][0], offs[last][1]
            out.append({"type": typ, "start": start, "end": end, "text": text[start:end],
                        "tokens": toks[first : last + 1], "sentence": i, "token_start": first, "token_end": last + 1})
    return out


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` (a lying Content-Length is not trusted)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _RequestError(413, "body_too_large", f"the request body has {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _RequestError(413, "body_too_large", f"the request body has more than {limit} bytes (the limit)")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> TagRequest:
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _RequestError(400, "not_utf8", f"the request body is not valid UTF-8 (byte {err.start}); send UTF-8 JSON")
    if not raw.strip():
        raise _RequestError(422, "empty_body", 'the request body is empty; send JSON {"text": "..."}')
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise _RequestError(422, "invalid_json", f"the request body is not JSON: {err.msg} at line {err.lineno} column {err.colno}")
    except RecursionError:
        raise _RequestError(422, "invalid_json", "the request body nests arrays/objects too deeply")
    if not isinstance(data, dict):
        raise _RequestError(422, "invalid_request", 'the request body must be a JSON object like {"text": "..."}')
    try:
        return TagRequest.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in err.errors())
        raise _RequestError(422, "invalid_request", problems)


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "detail": detail})


def create_app(models: Mapping[str, Any], limits: ServeLimits | None = None) -> FastAPI:
    """A FastAPI app serving `models` ({lang: model dir, loaded tagger, or (source, tagger)}); the first is the default."""
    limits = limits or ServeLimits()
    served = load_models(models, limits)
    default_lang = next(iter(served))
    app = FastAPI(
        docs_url=None,  # Swagger UI and ReDoc load their scripts from a CDN: blank pages offline
        redoc_url=None,
        title="xner",
        version=xner.__version__,
        description="Cross-lingual named-entity recognition (Bari, Joty, Jwalapuram, AAAI 2020, reproduced).",
    )
    app.state.models = served
    app.state.limits = limits

    @app.exception_handler(_RequestError)
    async def _request_error(_: Request, err: _RequestError) -> JSONResponse:
        return _error(err.status, err.code, err.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_request", str(err.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        detail = {404: f"no such page: {request.url.path} (the API is POST /tag, GET /health, GET /openapi.json)",
                  405: f"{request.method} is not allowed on {request.url.path}"}.get(err.status_code, str(err.detail))
        response = _error(err.status_code, code, detail)
        response.headers.update(err.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _server_error(_: Request, err: Exception) -> JSONResponse:
        # Last resort (the traceback still goes to the server log): the client gets JSON, not plain text.
        return _error(500, "internal_error", f"the server failed on this request ({type(err).__name__})")

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": xner.__version__, "pid": os.getpid(), "default_lang": default_lang,
                "models": {lang: m.describe() for lang, m in served.items()}, "limits": asdict(limits)}

    errors = {code: {"model": ErrorResponse} for code in (400, 413, 422, 500)}
    in_flight = 0  # /tag requests being answered now (all on the event loop's thread)

    @app.post(
        "/tag",
        response_model=TagResponse,
        responses=errors,
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": TagRequest.model_json_schema()}}}},
    )
    async def tag(request: Request) -> JSONResponse:
        """Tag raw text or pre-tokenised sentences with the model of `lang`.

        Answers a `JSONResponse` built here: FastAPI would otherwise validate the dict against
        `TagResponse` and walk it with `jsonable_encoder`, about as long as tagging one sentence; the
        dict has exactly `TagResponse`'s fields (the schema still documents it; tested). A short request
        (`limits.inline_tokens`) that is alone in the server is tagged right here, without a worker thread."""
        nonlocal in_flight
        in_flight += 1
        try:
            return await _tag(request)
        finally:
            in_flight -= 1

    async def _tag(request: Request) -> JSONResponse | dict[str, Any]:
        started = time.perf_counter()
        req = _parse(await _read_body(request, limits.max_body_bytes))
        lang = default_lang if req.lang is None else req.lang
        if lang not in served:
            raise _RequestError(422, "unknown_lang", f"no model is served for language {lang!r}; served: {', '.join(served)}")
        if req.text is not None:
            text = req.text
            tokens, offsets = _sentences_from_text(text)
        else:
            tokens = req.tokens or []
            text, offsets = _text_from_tokens(tokens)
        n_tokens = sum(len(t) for t in tokens)
        if n_tokens > limits.max_tokens:
            raise _RequestError(413, "too_many_tokens", f"the request has {n_tokens} tokens; the limit is {limits.max_tokens}")
        nonempty = [[normalize_token(tok) or tok for tok in t] for t in tokens if t]  # as raw text is normalised
        batcher = served[lang].batcher
        try:
            alone = in_flight == 1 and n_tokens <= limits.inline_tokens  # else a worker thread, so calls can batch
            predicted = batcher.predict_if_idle(nonempty) if alone else None
            if predicted is None:
                predicted = await run_in_threadpool(batcher.predict, nonempty) if nonempty else []
        except XnerError as err:
            raise _RequestError(422, "model_error", str(err))
        it = iter(predicted)
        tags = [next(it) if t else [] for t in tokens]
        answer = {
            "lang": lang,
            "text": text,
            "entities": _entities(text, tokens, tags, offsets),
            "sentences": [{"tokens": t, "tags": g, "offsets": o} for t, g, o in zip(tokens, tags, offsets)],
            "n_tokens": n_tokens,
            "seconds": round(time.perf_counter() - started, 6),
        }
        return answer if limits.validate_response else JSONResponse(answer)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
