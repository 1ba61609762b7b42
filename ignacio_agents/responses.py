"""Ignacio's typed answers, one per specialist: pure data, plus the Markdown the web shows.

The first three keep the original spec's fields exactly; ``FinancialResponse`` (named, not
defined, by the spec) and ``GeneralResponse`` (greetings, thanks, out-of-scope, clarifying
questions) follow the same shape: one main text, then lists.

Every answer serialises with ``kind`` (the ``Specialist`` value, which the web client uses to
pick a card) and ``offline`` (a template answer from the offline model). Both, and the
``language`` used for section labels, are set by code, not by the model: they are left out of
the JSON schema the model sees, and kept in the serialisation schema the API publishes.

Channels render answers their own way from :meth:`AdvisorAnswer.blocks` (e.g.
``channels/whatsapp/render.py``); Markdown is the stored ``content`` and the web's rendering.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from ignacio_agents.domain import Specialist

_CODE_SET_FIELDS = ("kind", "offline", "language")

OFFLINE_NOTICE = {
    "es": "⚠️ Modo sin conexión: no hay un modelo de IA configurado, esta es una respuesta de plantilla.",
    "en": "⚠️ Offline mode: no AI model is configured, this is a template answer.",
}

_LABELS: dict[str, dict[str, str]] = {
    "action_items": {"es": "Acciones", "en": "Action items"},
    "resources": {"es": "Recursos", "en": "Resources"},
    "implementation_steps": {"es": "Pasos de implementación", "en": "Implementation steps"},
    "considerations": {"es": "A tener en cuenta", "en": "Considerations"},
    "timeline_suggestions": {"es": "Calendario sugerido", "en": "Timeline suggestions"},
    "risk_factors": {"es": "Riesgos", "en": "Risk factors"},
    "recommendations": {"es": "Recomendaciones", "en": "Recommendations"},
    "key_figures": {"es": "Cifras clave", "en": "Key figures"},
    "risks": {"es": "Riesgos", "en": "Risks"},
    "follow_up_questions": {"es": "Para ayudarte mejor", "en": "To help you better"},
}


class Block(NamedTuple):
    """One section of an answer in reading order: the main text (``label`` None, ``body`` a
    string), or a labelled list (``numbered`` lists read as steps)."""

    label: str | None
    body: str | list[str]
    numbered: bool


def label_language(language: str | None) -> str:
    """Section labels exist in Spanish and English; other languages get English labels."""
    lang = (language or "").lower()[:2]
    return lang if lang in ("es", "en") else "en"


class AdvisorAnswer(BaseModel):
    """Shared behaviour of the typed answers. Subclasses declare their fields in reading order:
    the first is the main text, the rest are lists (``_numbered`` ones render as ``1.``)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    offline: bool = False
    language: str | None = None

    specialist: ClassVar[Specialist]
    _numbered: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if handler.mode == "validation":  # what the model is asked to fill in
            target = handler.resolve_ref_schema(schema)
            for name in _CODE_SET_FIELDS:
                target.get("properties", {}).pop(name, None)
                if name in target.get("required", []):
                    target["required"].remove(name)
        return schema

    # --- rendering -----------------------------------------------------------------------
    def _content_fields(self) -> list[str]:
        return [n for n in type(self).model_fields if n not in _CODE_SET_FIELDS]

    def notice(self, language: str | None = None) -> str | None:
        """The offline-mode notice to show above the answer, if it is a template answer."""
        return OFFLINE_NOTICE[label_language(language or self.language)] if self.offline else None

    def blocks(self, language: str | None = None) -> list[Block]:
        """The answer's non-empty sections, labels in ``language`` (default: the answer's)."""
        lang = label_language(language or self.language)
        blocks: list[Block] = []
        for name in self._content_fields():
            value = getattr(self, name, None)
            if isinstance(value, str):
                if value.strip():
                    blocks.append(Block(None, value.strip(), False))
            elif isinstance(value, list):
                items = [str(v).strip() for v in value if str(v).strip()]
                if items:
                    label = _LABELS.get(name, {}).get(lang, name.replace("_", " ").capitalize())
                    blocks.append(Block(label, items, name in self._numbered))
        return blocks

    def to_markdown(self, language: str | None = None) -> str:
        """Markdown for the web (and the stored ``content`` that transcripts and search use)."""
        out: list[str] = []
        if notice := self.notice(language):
            out.append(f"_{notice}_")
        for label, body, numbered in self.blocks(language):
            if isinstance(body, str):
                out.append(body)
                continue
            lines = [f"**{label}**"]
            lines += [f"{i}. {item}" if numbered else f"- {item}" for i, item in enumerate(body, 1)]
            out.append("\n".join(lines))
        return "\n\n".join(out)


class MarketingResponse(AdvisorAnswer):
    specialist: ClassVar[Specialist] = Specialist.marketing
    kind: Literal["marketing"] = "marketing"
    advice: str = Field(description="The advice, in a few short paragraphs.")
    action_items: list[str] = Field(description="Concrete next steps the user can take.")
    resources: list[str] = Field(description="Useful resources: tools, methods, readings.")


class TechnicalResponse(AdvisorAnswer):
    specialist: ClassVar[Specialist] = Specialist.technical
    _numbered: ClassVar[frozenset[str]] = frozenset({"implementation_steps"})
    kind: Literal["technical"] = "technical"
    solution: str = Field(description="The recommended solution and why.")
    implementation_steps: list[str] = Field(description="Ordered steps to implement it.")
    considerations: list[str] = Field(description="Trade-offs, costs, security, scaling.")


class ProjectManagementResponse(AdvisorAnswer):
    specialist: ClassVar[Specialist] = Specialist.project_management
    kind: Literal["project_management"] = "project_management"
    recommendations: str = Field(description="The recommendations, in a few short paragraphs.")
    timeline_suggestions: list[str] = Field(description="Milestones or phases with rough timing.")
    risk_factors: list[str] = Field(description="Risks to watch and how to mitigate them.")


class FinancialResponse(AdvisorAnswer):
    specialist: ClassVar[Specialist] = Specialist.financial
    kind: Literal["financial"] = "financial"
    analysis: str = Field(description="The financial analysis, in a few short paragraphs.")
    recommendations: list[str] = Field(description="Concrete recommendations.")
    key_figures: list[str] = Field(
        description="Key figures and assumptions, each with its value or formula."
    )
    risks: list[str] = Field(description="Financial risks and what would change the picture.")


class GeneralResponse(AdvisorAnswer):
    specialist: ClassVar[Specialist] = Specialist.general
    kind: Literal["general"] = "general"
    message: str = Field(description="The reply.")
    follow_up_questions: list[str] = Field(
        default_factory=list, description="Questions that would help you advise better (optional)."
    )


RESPONSE_TYPES: dict[Specialist, type[AdvisorAnswer]] = {
    t.specialist: t
    for t in (MarketingResponse, TechnicalResponse, ProjectManagementResponse, FinancialResponse,
              GeneralResponse)
}

Answer = Annotated[
    MarketingResponse | TechnicalResponse | ProjectManagementResponse | FinancialResponse
    | GeneralResponse,
    Field(discriminator="kind"),
]
AnswerAdapter: TypeAdapter[Any] = TypeAdapter(Answer)


def parse_answer(data: dict[str, Any]) -> AdvisorAnswer:
    """A stored ``answer`` (jsonb) back to its typed answer."""
    return AnswerAdapter.validate_python(data)  # type: ignore[no-any-return]


def partial_answer(specialist: Specialist, data: dict[str, Any]) -> AdvisorAnswer:
    """Best-effort typed view of a half-streamed answer (missing fields empty), for rendering."""
    cls = RESPONSE_TYPES[specialist]
    values: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if name in _CODE_SET_FIELDS:
            continue
        value = data.get(name)
        wants_list = field.annotation is not str
        if wants_list:
            values[name] = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        else:
            values[name] = value if isinstance(value, str) else ""
    return cls.model_construct(**values)
