"""What a stored Graph error code means, for the admin transcript.

Titles are Meta's own (the Cloud API error-codes page; ``docs/reference/whatsapp-cloud-api.md``
§6), kept in English as Meta writes them so an admin can look them up; the meaning is one of the
core's :class:`~ignacio_agents.channel.DeliveryErrorReason` kinds, which the web app puts into
words in the admin's language. Codes we store that are not Meta's: ``timeout`` (no answer in
time) and ``http_<status>`` (an HTTP error without a Graph error body, e.g. a proxy's 503).
"""

from __future__ import annotations

from ignacio_agents.channel import DeliveryError
from ignacio_agents.channel import DeliveryErrorReason as R

GRAPH_ERRORS: dict[str, tuple[str, R]] = {
    # Authorization and the business account
    "0": ("AuthException", R.access_denied),
    "3": ("API Method", R.access_denied),
    "10": ("Permission Denied", R.access_denied),
    "190": ("Access token has expired", R.access_denied),
    "131005": ("Access denied", R.access_denied),
    "368": ("Temporarily blocked for policies violations", R.account_blocked),
    "131031": ("Account has been locked", R.account_blocked),
    "130497": ("Business account is restricted from messaging users in this country",
               R.account_blocked),
    "131042": ("Business eligibility payment issue", R.payment),
    "131057": ("Account in maintenance mode", R.maintenance),
    "133000": ("Incomplete Deregistration", R.number_not_registered),
    "133010": ("Phone number Not Registered", R.number_not_registered),
    # Throughput
    "4": ("API Too Many Calls", R.rate_limited),
    "80007": ("Rate limit issues", R.rate_limited),
    "130429": ("Rate limit hit", R.rate_limited),
    "131056": ("(Business Account, Consumer Account) pair rate limit hit",
               R.recipient_rate_limited),
    "131048": ("Spam rate limit hit", R.spam_limited),
    # The participant's side
    "131026": ("Message Undeliverable", R.undeliverable),
    "131047": ("Re-engagement message", R.window_closed),
    "470": ("Re-engagement message", R.window_closed),  # the older API's code for 131047
    "131049": ("This message was not delivered to maintain healthy ecosystem engagement",
               R.withheld),
    "130472": ("User's number is part of an experiment", R.experiment),
    "131021": ("Recipient cannot be sender", R.recipient_is_sender),
    # What we sent
    "33": ("Parameter value is not valid", R.invalid_request),
    "100": ("Invalid parameter", R.invalid_request),
    "131008": ("Required parameter is missing", R.invalid_request),
    "131009": ("Parameter value is not valid", R.invalid_request),
    "131051": ("Unsupported message type", R.unsupported),
    "131052": ("Media download error", R.media_failed),
    "131053": ("Media upload error", R.media_failed),
    "132000": ("Number of parameters does not match the expected number of params",
               R.invalid_request),
    "132001": ("Template does not exist", R.template_unavailable),
    "132012": ("Parameter format does not match format in the created template",
               R.invalid_request),
    "132015": ("Template is Paused", R.template_unavailable),
    "132016": ("Template is Disabled", R.template_unavailable),
    # Meta's side
    "1": ("API Unknown", R.service_error),
    "2": ("API Service", R.service_error),
    "131000": ("Something went wrong", R.service_error),
    "131016": ("Service unavailable", R.service_error),
    "133004": ("Server Temporarily Unavailable", R.service_error),
    "timeout": ("No answer from the Graph API in time", R.service_error),
}


def explain_graph_error(code: str) -> DeliveryError:
    """The title and meaning of a stored code; an unknown one is still shown, as ``unknown``."""
    known = GRAPH_ERRORS.get(code)
    if known is not None:
        return DeliveryError(code=code, title=known[0], reason=known[1])
    status = code.removeprefix("http_")
    if status != code and status.isdigit():
        return DeliveryError(code=code, title=f"HTTP {status} without a Graph error body",
                             reason=_http_reason(int(status)))
    return DeliveryError(code=code, title=None, reason=R.unknown)


def _http_reason(status: int) -> R:
    if status == 429:
        return R.rate_limited
    if status in (401, 403):
        return R.access_denied
    return R.service_error if status >= 500 else R.unknown
