"""An OpenAI client whose chat requests skip the SDK's request transform when it would change
nothing.

Before sending, the SDK walks every request through its parameter annotations (aliases,
formats, iterables made lists, models dumped), key by key, union variant by union variant:
1.1 ms of CPU for a router request and 4–4.5 ms for a specialist's with some history, on every
model call (the issue's burst profile: 12.8 % of a worker). PydanticAI hands it plain JSON
already, and the chat parameters declare no alias and no format, so the walk returns what it
was given, minus omitted values. ``LeanCompletions.create`` sends such a request as is (after
the same ``response_format`` check) and hands anything else (a tuple, a model, an omitted
value inside the body) to the SDK unchanged. ``tests/test_lean_openai.py`` checks that both
paths send the same bytes and that the parameter types still declare no alias or format.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from openai import AsyncOpenAI, AsyncStream
from openai._base_client import make_request_options
from openai._types import not_given
from openai._utils import is_given
from openai.resources.chat import AsyncChat
from openai.resources.chat.completions import AsyncCompletions
from openai.resources.chat.completions.completions import validate_response_format
from openai.types.chat import ChatCompletion, ChatCompletionChunk

_REQUEST_OPTIONS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})
_SCALARS = (str, int, float, bool, type(None))


def plain_json(value: object) -> bool:
    """Only dicts with string keys, lists and JSON scalars (what the transform leaves alone)."""
    if isinstance(value, _SCALARS):
        return True
    if type(value) is dict:
        return all(type(k) is str and plain_json(v) for k, v in value.items())
    if type(value) is list:
        return all(plain_json(v) for v in value)
    return False


class LeanCompletions(AsyncCompletions):
    async def create(self, **params: Any) -> Any:
        body = {k: v for k, v in params.items() if k not in _REQUEST_OPTIONS and is_given(v)}
        if "model" not in body or "messages" not in body or not plain_json(body):
            return await super().create(**params)
        validate_response_format(params.get("response_format"))
        options = make_request_options(
            extra_headers=params.get("extra_headers"), extra_query=params.get("extra_query"),
            extra_body=params.get("extra_body"), timeout=params.get("timeout", not_given),
            security={"bearer_auth": True},
        )
        return await self._post("/chat/completions", body=body, options=options,
                                cast_to=ChatCompletion, stream=bool(body.get("stream")),
                                stream_cls=AsyncStream[ChatCompletionChunk])


class LeanChat(AsyncChat):
    @cached_property
    def completions(self) -> LeanCompletions:
        return LeanCompletions(self._client)


class LeanAsyncOpenAI(AsyncOpenAI):
    """``AsyncOpenAI`` with :class:`LeanCompletions` (its copies too: ``with_options`` keeps
    the class)."""

    @cached_property
    def chat(self) -> LeanChat:
        return LeanChat(self)

    @property
    def user_agent(self) -> str:
        """The SDK names the client's class here: servers see the stock client's name."""
        return super().user_agent.replace(type(self).__name__, AsyncOpenAI.__name__, 1)
