"""Stand-ins for outside services at their HTTP boundary (never for our own code)."""

from tests.fakes.graph import CapturedRequest, FakeGraphServer, signed_webhook

__all__ = ["CapturedRequest", "FakeGraphServer", "signed_webhook"]
