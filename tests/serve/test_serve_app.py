"""The HTTP API on a real small Spanish tagger, through FastAPI's test client (no network)."""

from __future__ import annotations

import asyncio
import json
import threading
import warnings

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")

from xner.errors import XnerError  # noqa: E402
from xner.serve.app import ServeLimits, create_app, load_specs  # noqa: E402
from xner.serve.batcher import BatchingTagger  # noqa: E402

with warnings.catch_warnings():  # starlette's notice about its httpx backend
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(es_model_dir):
    return TestClient(create_app({"es": es_model_dir}, ServeLimits(max_body_bytes=4096, max_tokens=200)))


def test_spanish_sentence_is_real(spanish):
    from xner.demo import load_bundle
    from xner.model.predictor import tokenize

    text, index = spanish
    gold = load_bundle().target_test[index]
    assert [t.text for t in tokenize(text)] == list(gold.tokens)


def test_text_matches_the_taggers_own_spans(client, es_tagger, spanish):
    text = spanish[0] + "\n\n" + "Santander , 25 may ( EFE ) ."
    r = client.post("/tag", json={"text": text})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == "es" and body["text"] == text
    expected = es_tagger.tag(text)
    assert expected, "the test model should find entities in a training sentence"
    assert [{k: e[k] for k in ("start", "end", "type", "text")} for e in body["entities"]] == expected
    assert len(body["sentences"]) == 2
    for ent in body["entities"]:
        sent = body["sentences"][ent["sentence"]]
        assert ent["tokens"] == sent["tokens"][ent["token_start"] : ent["token_end"]]
        assert text[ent["start"] : ent["end"]] == ent["text"]
        assert sent["tags"][ent["token_start"]] == "B-" + ent["type"]
    assert body["n_tokens"] == sum(len(s["tokens"]) for s in body["sentences"])


def test_tag_answer_is_exactly_the_documented_schema(client, spanish):
    """/tag builds its JSON itself (no response-model pass): it must hold exactly TagResponse's fields."""
    from xner.serve.app import TagResponse

    body = client.post("/tag", json={"text": spanish[0] + "\n" + "Santander , 25 may ( EFE ) ."}).json()
    assert body["entities"]
    assert TagResponse.model_validate(body).model_dump(mode="json") == body


def test_tokens_match_predict(client, es_tagger, spanish):
    tokens = [spanish[0].replace(",", " ,").replace(".", " .").split(), [], ["Santander", ",", "25", "may", "."]]
    r = client.post("/tag", json={"tokens": tokens, "lang": "es"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["tags"] for s in body["sentences"]] == [es_tagger.predict([tokens[0]])[0], [], es_tagger.predict([tokens[2]])[0]]
    assert body["text"] == "\n".join(" ".join(t) for t in tokens)
    for ent in body["entities"]:
        assert body["text"][ent["start"] : ent["end"]] == " ".join(ent["tokens"])


@pytest.mark.parametrize("payload", [{"text": ""}, {"text": "  \n\t \n"}, {"tokens": []}, {"tokens": [[]]}])
def test_empty_input_has_no_entities(client, payload):
    r = client.post("/tag", json=payload)
    assert r.status_code == 200, r.text
    assert r.json()["entities"] == [] and r.json()["n_tokens"] == 0


def test_oversize_body_is_413(client):
    r = client.post("/tag", json={"text": "palabra " * 1000})
    assert r.status_code == 413
    assert r.json()["error"] == "body_too_large" and "4096" in r.json()["detail"]


def test_oversize_body_without_content_length_is_413(client):
    def chunks():  # chunked transfer: no Content-Length to trust
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    r = client.post("/tag", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


def test_too_many_tokens_is_413(client):
    r = client.post("/tag", json={"text": "a " * 201})
    assert r.status_code == 413
    assert r.json() == {"error": "too_many_tokens", "detail": "the request has 201 tokens; the limit is 200"}


@pytest.mark.parametrize(
    "body, code",
    [
        (b'{"text": "El Rey', "invalid_json"),
        (b"", "empty_body"),
        (b'["El Rey"]', "invalid_request"),
        (b'{"txt": "El Rey"}', "invalid_request"),
        (b'{"text": 5}', "invalid_request"),
        (b'{"text": "a", "tokens": [["a"]]}', "invalid_request"),
        (b'{"tokens": [["El Rey"]]}', "invalid_request"),
        (b'{"tokens": [[""]]}', "invalid_request"),
        (b'{"tokens": "El Rey"}', "invalid_request"),
        (b'{"text": "El Rey", "lang": "xx"}', "unknown_lang"),
    ],
)
def test_wrong_json_is_422(client, body, code):
    r = client.post("/tag", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == code and r.json()["detail"]


def test_non_utf8_body_is_400(client):
    r = client.post("/tag", content='{"text": "Espa\u00f1a"}'.encode("latin-1"), headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"] == "not_utf8"


def test_health_openapi_and_page(client, es_model_dir):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["default_lang"] == "es"
    assert health["models"]["es"]["source"] == str(es_model_dir)
    assert health["models"]["es"]["languages"] == ["es"]
    assert health["limits"]["max_tokens"] == 200
    spec = client.get("/openapi.json").json()
    schema = spec["paths"]["/tag"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"text", "tokens", "lang"} <= set(schema["properties"])
    assert {"200", "413", "422"} <= set(spec["paths"]["/tag"]["post"]["responses"])
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="text"' in page.text and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200


def test_models_are_chosen_by_language(es_model_dir, es_tagger, tmp_path):
    """Two real models: the Spanish one, and one built for English (untrained weights: a different model)."""
    import torch

    from xner.demo import load_bundle
    from xner.model.config import TaggerConfig
    from xner.model.persistence import save_tagger
    from xner.model.tagger import build_tagger

    bundle = load_bundle()
    torch.manual_seed(2)
    en = build_tagger(TaggerConfig(word_hidden=20, dense_dim=0), {"en": bundle.embeddings["en"]}, bundle.source_dev[:20],
                      "IOBES")
    en_dir = save_tagger(en, tmp_path / "en")
    specs = load_specs([str(es_model_dir), f"en={en_dir}"])
    assert list(specs) == ["es", "en"]
    with TestClient(create_app(specs)) as c:
        tokens = [["The", "Dutch", "government", "in", "The", "Hague", "."]]
        es = c.post("/tag", json={"tokens": tokens}).json()
        english = c.post("/tag", json={"tokens": tokens, "lang": "en"}).json()
        assert es["lang"] == "es" and english["lang"] == "en"
        assert es["sentences"][0]["tags"] == es_tagger.predict(tokens, lang="es")[0]
        import xner

        assert english["sentences"][0]["tags"] == xner.load(en_dir).predict(tokens)[0]
    with pytest.raises(XnerError, match="no such model folder"):
        load_specs([str(tmp_path / "missing")])
    with pytest.raises(XnerError, match="two models"):
        load_specs([str(es_model_dir), str(es_model_dir)])
    with pytest.raises(XnerError, match="no word vectors"):
        create_app({"fi": es_model_dir})


def test_concurrent_requests_are_batched_and_correct(es_model_dir, es_tagger):
    import httpx

    from xner.demo import load_bundle

    sentences = [list(s.tokens) for s in load_bundle().target_unlabeled[:48]]  # not the model's training sentences
    app = create_app({"es": es_model_dir})

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            rs = await asyncio.gather(*(c.post("/tag", json={"tokens": [s]}) for s in sentences))
        return [r.json()["sentences"][0]["tags"] for r in rs]

    got = asyncio.run(go())
    assert got == es_tagger.predict(sentences)
    calls = app.state.models["es"].batcher.calls
    assert 1 <= calls <= len(sentences)
    print(f"48 concurrent requests -> {calls} model calls")


def test_batcher_threads_and_isolation(es_tagger):
    """Many threads at once get exactly their own tags; one failing request does not fail its batch mates."""

    class Picky:  # the real model, refusing one marked sentence
        default_lang = "es"

        def predict(self, token_lists, lang=None):
            if any("BOOM" in t for t in token_lists):
                raise XnerError("refused")
            return es_tagger.predict(token_lists, lang)

    batcher = BatchingTagger(Picky(), "es")
    inputs = [[["Rob", "Hulls", "en", "Victoria", "."][: 1 + i % 5]] for i in range(40)] + [[["BOOM"]]]
    results: dict[int, object] = {}

    def work(i):
        try:
            results[i] = batcher.predict(inputs[i])
        except XnerError as err:
            results[i] = err

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert isinstance(results[len(inputs) - 1], XnerError)
    for i in range(len(inputs) - 1):
        assert results[i] == es_tagger.predict(inputs[i]), i
    assert json.dumps(batcher.predict([])) == "[]"


class _Recording:
    """The real tagger, recording whether each call ran on the server's event loop (inline) or a worker thread."""

    def __init__(self, tagger):
        self.tagger, self.default_lang, self.on_loop = tagger, tagger.default_lang, []

    def predict(self, token_lists, lang=None):
        try:
            asyncio.get_running_loop()
            self.on_loop.append(True)
        except RuntimeError:
            self.on_loop.append(False)
        return self.tagger.predict(token_lists, lang)


def test_short_lone_request_is_tagged_inline_long_one_in_a_worker(es_tagger, spanish):
    recording = _Recording(es_tagger)
    client = TestClient(create_app({"es": recording}, ServeLimits(inline_tokens=8)))
    del recording.on_loop[:]  # the warm-up call
    short, long = "Santander , 25 may ( EFE ) .", spanish[0]
    assert len(long.split()) > 8
    for text in (short, long):
        assert client.post("/tag", json={"text": text}).status_code == 200
    assert recording.on_loop == [True, False]


def test_old_path_switches_answer_exactly_like_the_default(es_tagger, spanish):
    """`xner serve --old-path` (no inline tagging, FastAPI's response validation) changes speed, never the answer."""
    texts = [spanish[0], "Santander , 25 may ( EFE ) .", spanish[0] + "\n\nEl Rey visitó Madrid ."]
    answers = []
    for limits in (ServeLimits(), ServeLimits(inline_tokens=0, validate_response=True)):
        client = TestClient(create_app({"es": es_tagger}, limits))
        answers.append([{k: v for k, v in client.post("/tag", json={"text": t}).json().items() if k != "seconds"}
                        for t in texts])
    assert answers[0] == answers[1]
    assert any(a["entities"] for a in answers[0])


def test_predict_if_idle_never_waits(es_tagger):
    batcher = BatchingTagger(es_tagger, "es")
    sentence = [["Rob", "Hulls", "en", "Victoria", "."]]
    assert batcher.predict_if_idle(sentence) == es_tagger.predict(sentence)
    assert batcher.predict_if_idle([]) == []
    with batcher._model_lock:  # another thread is running the model
        assert batcher.predict_if_idle(sentence) is None
    batcher._pending.append(object())  # a request is waiting for the model: it goes first
    assert batcher.predict_if_idle(sentence) is None
