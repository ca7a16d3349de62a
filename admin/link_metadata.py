"""A link's UTM parameters and social preview: the API's models and the columns they set.

Both are stored as the link's own nullable columns (migration 0018), never folded into its target:
the admin shows them apart, and common/linkstore.py merges the UTM fields into the target (and
carries the preview) when it builds the edge's record. In the API each is one object; on PATCH an
object replaces all of its columns (a field left out becomes NULL) and null clears them all.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from admin.targets import MAX_TARGET_LENGTH, TargetRejected, normalize_target
from admin.text import no_control_characters
from common.utm import MAX_UTM_LENGTH, UTM_FIELDS, with_utm

MAX_PREVIEW_TITLE: Final = 200
MAX_PREVIEW_DESCRIPTION: Final = 500
UTM_COLUMNS: Final = tuple(f"utm_{field}" for field in UTM_FIELDS)
PREVIEW_FIELDS: Final = ("title", "description", "image")
PREVIEW_COLUMNS: Final = tuple(f"preview_{field}" for field in PREVIEW_FIELDS)
METADATA_COLUMNS: Final = UTM_COLUMNS + PREVIEW_COLUMNS

UTM_HELP: Final = (
    "UTM parameters merged into the target: each set field replaces a parameter of the same name "
    "(utm_source, ...); the target's other parameters stay as they are."
)
UPDATE_UTM_HELP: Final = f"{UTM_HELP} An object replaces all five (a field left out is cleared); null clears them."
PREVIEW_HELP: Final = (
    "What link-preview crawlers (Slack, Facebook, X, LinkedIn, Discord, WhatsApp, Telegram...) show for the "
    "short link, as Open Graph tags; visitors are redirected as usual. Never shown for a password-protected link."
)
UPDATE_PREVIEW_HELP: Final = f"{PREVIEW_HELP} An object replaces all three fields; null clears them."


def _blank_as_none(value: Any) -> Any:
    # A form's empty input means "not set": storing "" would put an empty utm_source= in every redirect.
    if isinstance(value, str):
        return value.strip() or None
    return value


def _http_image(value: str) -> str:
    """The image URL as browsers (and crawlers) read it; only absolute http(s) URLs are taken."""
    try:
        return normalize_target(value)
    except TargetRejected as error:
        if error.reason == "scheme":
            raise ValueError("the image must be an absolute http:// or https:// URL") from None
        raise ValueError(f"the image URL is refused: {error}") from None


# Each is stripped, blank read as null, control characters (line breaks too) refused. The length
# bounds sit on the str inside the union: Pydantic cannot apply them to a None.
_Blank = BeforeValidator(_blank_as_none)
_Plain = AfterValidator(no_control_characters)
UtmValue = Annotated[Annotated[str, Field(max_length=MAX_UTM_LENGTH), _Plain] | None, _Blank]
PreviewTitle = Annotated[Annotated[str, Field(max_length=MAX_PREVIEW_TITLE), _Plain] | None, _Blank]
PreviewDescription = Annotated[Annotated[str, Field(max_length=MAX_PREVIEW_DESCRIPTION), _Plain] | None, _Blank]
# The input may be longer than what is kept: the canonical URL is then held to MAX_TARGET_LENGTH.
ImageUrl = Annotated[
    Annotated[str, Field(max_length=2 * MAX_TARGET_LENGTH), AfterValidator(_http_image)] | None, _Blank
]


class Utm(BaseModel):
    """The five UTM parameters; each is optional (null or blank: not set)."""

    model_config = ConfigDict(extra="forbid")

    source: UtmValue = Field(None, description='utm_source: where the traffic comes from, e.g. "newsletter".')
    medium: UtmValue = Field(None, description='utm_medium: the channel, e.g. "email".')
    campaign: UtmValue = Field(None, description='utm_campaign: the campaign, e.g. "black-friday".')
    term: UtmValue = Field(None, description="utm_term: the paid search keyword.")
    content: UtmValue = Field(None, description="utm_content: which link or ad of several was clicked.")


class LinkPreview(BaseModel):
    """A social preview: title, description and image, each optional (null or blank: not set)."""

    model_config = ConfigDict(extra="forbid")

    title: PreviewTitle = Field(None, description="og:title.")
    description: PreviewDescription = Field(None, description="og:description.")
    image: ImageUrl = Field(
        None, description=f"og:image: an absolute http:// or https:// URL of at most {MAX_TARGET_LENGTH} characters."
    )


def utm_columns(utm: Utm | None) -> dict[str, str | None]:
    """The utm_* columns an API ``utm`` sets (None: all NULL)."""
    return {f"utm_{field}": None if utm is None else getattr(utm, field) for field in UTM_FIELDS}


def preview_columns(preview: LinkPreview | None) -> dict[str, str | None]:
    """The preview_* columns an API ``preview`` sets (None: all NULL)."""
    return {f"preview_{field}": None if preview is None else getattr(preview, field) for field in PREVIEW_FIELDS}


def metadata_columns(utm: Utm | None, preview: LinkPreview | None) -> dict[str, str | None]:
    return utm_columns(utm) | preview_columns(preview)


def with_metadata_columns(changes: dict[str, Any]) -> dict[str, Any]:
    """``LinkUpdate.changes()`` with ``utm`` and ``preview`` turned into the columns they replace."""
    columns = {name: value for name, value in changes.items() if name not in ("utm", "preview")}
    if "utm" in changes:
        columns |= utm_columns(changes["utm"])
    if "preview" in changes:
        columns |= preview_columns(changes["preview"])
    return columns


def utm_of(values: dict[str, str | None]) -> Utm:
    """The API's ``utm`` from the utm_* columns."""
    return Utm.model_construct(None, **{field: values[f"utm_{field}"] for field in UTM_FIELDS})


def preview_of(values: dict[str, str | None]) -> LinkPreview | None:
    """The API's ``preview`` from the preview_* columns; None when none is set."""
    fields = {field: values[f"preview_{field}"] for field in PREVIEW_FIELDS}
    return LinkPreview.model_construct(None, **fields) if any(fields.values()) else None


def destination_of(target_url: str, utm: Utm) -> str:
    """Where the edge redirects: the target with the UTM fields merged (common.utm.with_utm)."""
    return with_utm(target_url, utm.model_dump())
