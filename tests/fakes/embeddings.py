"""A fake OpenAI-compatible embeddings server (``POST /v1/embeddings``) on 127.0.0.1.

It stands in for OpenAI (or Ollama's OpenAI-compatible endpoint) at its HTTP boundary: our
client (PydanticAI's ``OpenAIEmbeddingModel`` over the ``openai`` SDK) sends real requests, and
the fake is as strict as the real service: a Bearer key, known models only, ``input`` a string
or a list of 1-2,048 non-empty strings, at most 8,192 tokens per input and 300,000 per request
(counted with tiktoken), ``dimensions`` only for ``text-embedding-3-*`` and no larger than the
model's, ``encoding_format`` ``float`` or ``base64``; errors with OpenAI's body shape
``{"error": {"message", "type", "param", "code"}}``.

Its vectors are deterministic and make translations near: a small bilingual concept lexicon
maps Spanish and English words for the same thing ("precio" / "price", "furgoneta" / "van") to
the same coordinate, other words hash into the remaining coordinates. It is a stand-in for what
a multilingual embeddings model does, not a model: it proves the hybrid plumbing (jobs, vectors
in pgvector, fusion) and lets a test show hybrid finding what full text cannot.

Run it on its own to try hybrid recall by hand (see evals/README.md)::

    .venv/bin/python -m tests.fakes.embeddings --port 8765
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import math
import re
import struct
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ignacio_agents.tokens import count_tokens
from tests.fakes.loopback import LoopbackServer

API_KEY = "sk-fake-embeddings-key"
MODELS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072,
          "nomic-embed-text": 768}
MAX_INPUT_TOKENS = 8192
MAX_REQUEST_TOKENS = 300_000
MAX_INPUTS = 2048

# One line per concept: the word stems (accents removed) that mean it in Spanish or English.
CONCEPTS = """
price pric precio tarifa
box box caja cesta basket
family famil
subscription subscri suscri
customer customer client
churn churn baja cancel
holiday holiday vacacion vacation
pause pause pausa
grant grant subvencion subsid
council council ayuntamiento city
deadline deadline plazo
document document papeles papel paper certificad certificate
van van furgoneta
rent renting rent alquil lease
buy buy purchas compr
cold cold frio frigorif refrigera fridge
room room camara
supplier supplier proveedor vendor
post post publica publish
week week semana semanal
follower follower seguidor
active active activo
hire hire hiring contrat
driver driver repartidor conductor
salary salar sueldo wage gross bruto
farmer farm productor agricult
payment payment pago paid pagar
day day dia
organic organic ecologic
seal seal sello certification certificacion
investor investor angel inversor inversion investment
round round ronda
loan loan prestamo credit credito
bank bank banco
market market mercado
size size tamano
household household hogar
survey survey encuesta
want want quier pide pedir ask
fruit fruit fruta
delivery deliver entrega reparto repart
refund refund reembols devolu
fail fail falla fallid
neighbour neighbo vecin
home home casa nobody nadie
risk risk riesgo
frost frost helada
fuel fuel combustible
channel channel canal
sale sale sell venta vend
company compan empresa
budget budget presupuesto
problem problem problema
supermarket supermarket supermercado
team team equipo
cofounder cofounder cofundador socio
margin margin margen
cost cost coste costo
business business negocio
month month mes mensual
june june junio
december december diciembre
"""

_STOP_WORDS = """a al and are as at be but by con de del el en es for from has have how i if in is
it la las le les lo los me mi my no nos o of on or our para pero por que qué se si sin so su sus
that the their this to un una we what when which who with y ya you your was were will do does did
can could should would"""
_STOP = set(_STOP_WORDS.split())

_LEXICON: list[tuple[str, int]] = []
for _index, _line in enumerate(CONCEPTS.strip().splitlines()):
    for _stem in _line.split()[1:]:
        _LEXICON.append((_stem, _index))
CONCEPT_COUNT = len(CONCEPTS.strip().splitlines())
HASHED_WEIGHT = 0.5  # a word outside the lexicon counts less than a known concept


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def vector_for(text: str, dims: int) -> list[float]:
    """The fake's embedding of ``text``: concept counts plus hashed other words, unit length."""
    values = [0.0] * dims
    for word in re.findall(r"[a-z0-9]+", _fold(text)):
        if word in _STOP or len(word) < 2:
            continue
        concepts = {i for stem, i in _LEXICON if word.startswith(stem)}
        for i in concepts:
            values[i % dims] += 1.0
        if not concepts:
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            bucket = CONCEPT_COUNT + int.from_bytes(digest, "big") % max(1, dims - CONCEPT_COUNT)
            values[bucket % dims] += HASHED_WEIGHT
    norm = math.sqrt(sum(v * v for v in values))
    if norm == 0:
        values[dims - 1] = 1.0  # OpenAI never returns a zero vector either
        return values
    return [v / norm for v in values]


class _Invalid(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None,
                 code: str | None = None, type_: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type_

    def response(self) -> JSONResponse:
        return JSONResponse({"error": {"message": self.message, "type": self.type,
                                       "param": self.param, "code": self.code}}, self.status)


@dataclass(frozen=True)
class EmbeddingsRequest:
    model: str
    inputs: list[str]
    dimensions: int | None


class FakeEmbeddingsServer(LoopbackServer):
    name = "fake-embeddings"

    def __init__(self, *, api_key: str | None = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[EmbeddingsRequest] = []
        self._failures: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self.port = 0
        self.app = Starlette(routes=[Route("/v1/embeddings", self._embeddings, methods=["POST"])])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def settings_overrides(self, model: str = "text-embedding-3-small") -> dict[str, Any]:
        return {"embeddings_model": model, "embeddings_base_url": self.base_url,
                "embeddings_api_key": self.api_key}

    def fail_next(self, status: int, message: str = "The server had an error", times: int = 1) -> None:
        with self._lock:
            self._failures += [(status, message)] * times

    @property
    def embedded(self) -> list[str]:
        """Every text embedded so far, in order."""
        return [text for r in self.requests for text in r.inputs]

    async def _embeddings(self, request: Request) -> Response:
        try:
            self._authorize(request)
            body = await self._body(request)
            model, inputs, dims, encoding = self._validate(body)
        except _Invalid as exc:
            return exc.response()
        with self._lock:
            self.requests.append(EmbeddingsRequest(model, inputs, dims))
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, message = failure
            return _Invalid(status, message, type_="server_error" if status >= 500 else
                            "invalid_request_error").response()
        data = [{"object": "embedding", "index": i,
                 "embedding": _encode(vector_for(text, dims or MODELS[model]), encoding)}
                for i, text in enumerate(inputs)]
        tokens = sum(count_tokens(t) for t in inputs)
        return JSONResponse({"object": "list", "data": data, "model": model,
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def _authorize(self, request: Request) -> None:
        if self.api_key is None:
            return
        given = request.headers.get("authorization", "")
        if given != f"Bearer {self.api_key}":
            raise _Invalid(401, "Incorrect API key provided. You can find your API key at "
                                "https://platform.openai.com/account/api-keys.",
                           code="invalid_api_key")

    async def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise _Invalid(400, "We could not parse the JSON body of your request.") from None
        if not isinstance(body, dict):
            raise _Invalid(400, "We could not parse the JSON body of your request.")
        return body

    def _validate(self, body: dict[str, Any]) -> tuple[str, list[str], int | None, str]:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _Invalid(400, "you must provide a model parameter")
        if model not in MODELS:
            raise _Invalid(404, f"The model `{model}` does not exist or you do not have access "
                                "to it.", code="model_not_found")
        raw = body.get("input")
        inputs = [raw] if isinstance(raw, str) else raw
        if (not isinstance(inputs, list) or not inputs or len(inputs) > MAX_INPUTS
                or not all(isinstance(t, str) and t for t in inputs)):
            raise _Invalid(400, "'$.input' is invalid. Please check the API reference: "
                                "https://platform.openai.com/docs/api-reference.")
        counts = [count_tokens(t) for t in inputs]
        if max(counts) > MAX_INPUT_TOKENS:
            raise _Invalid(400, f"This model's maximum context length is {MAX_INPUT_TOKENS} "
                                f"tokens, however you requested {max(counts)} tokens "
                                f"({max(counts)} in your prompt; 0 for the completion). "
                                "Please reduce your prompt; or completion length.")
        if sum(counts) > MAX_REQUEST_TOKENS:
            raise _Invalid(400, f"Requested {sum(counts)} tokens, max {MAX_REQUEST_TOKENS} "
                                "tokens per request", param="input", code="max_tokens_per_request")
        dims = body.get("dimensions")
        if dims is not None:
            if not model.startswith("text-embedding-3"):
                raise _Invalid(400, "This model does not support specifying dimensions.",
                               param="dimensions")
            if not isinstance(dims, int) or not 1 <= dims <= MODELS[model]:
                raise _Invalid(400, f"Invalid value for 'dimensions' = {dims}. Must be between "
                                    f"1 and {MODELS[model]}.", param="dimensions")
        encoding = body.get("encoding_format", "float")
        if encoding not in ("float", "base64"):
            raise _Invalid(400, f"'{encoding}' is not one of ['float', 'base64'] - "
                                "'encoding_format'", param="encoding_format")
        return model, inputs, dims, encoding


def _encode(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fake embeddings server.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-key", action="store_true", help="accept requests without a key")
    args = parser.parse_args()
    server = FakeEmbeddingsServer(api_key=None if args.no_key else API_KEY)
    import uvicorn

    print(f"fake embeddings on http://127.0.0.1:{args.port}/v1 (key: "
          f"{'none' if args.no_key else API_KEY})", flush=True)
    uvicorn.run(server.app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
