"""Social previews: link-preview crawlers get a link's Open Graph tags, everyone else its redirect.

Chat apps and social networks fetch a shared link to draw a card. Following a redirect shows the
destination's card; a link with a preview of its own (title, description, image, set in the admin)
shows that instead. Only the agents below get the page, by their User-Agent: they announce
themselves, and a person's browser never sends these tokens. Search engines are not among them:
they follow the redirect. The page is built once per record, every value HTML-escaped, under a
policy that lets nothing load or run. It names only what the link's owner wrote for it, never the
target, so it hands out nothing a click-limited or expiring link guards, and it is not a click.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Final

from starlette.types import Scope

from common.records import Expiring, LinkRecord, Preview
from edge.responses import HTML, LimitedRedirect, Redirect, StaticResponse

if TYPE_CHECKING:
    from edge.routes import RoutedRedirect

# The fetchers behind link cards: Facebook, Messenger, Instagram and iMessage (facebookexternalhit),
# X, LinkedIn, Slack, Discord, WhatsApp, Telegram, Skype/Teams, Pinterest, Reddit, Mastodon,
# Embedly and Iframely (which many apps use), Viber, Line, VK, Tumblr.
_PREVIEW_AGENTS: Final = re.compile(
    rb"facebookexternalhit|facebookcatalog|Facebot|Twitterbot|LinkedInBot|Slackbot|Slack-ImgProxy|Discordbot|"
    rb"WhatsApp|TelegramBot|SkypeUriPreview|Pinterestbot|Pinterest/|redditbot|Mastodon/|Embedly|Iframely|"
    rb"Viber|Line/|vkShare|Tumblr",
    re.IGNORECASE,
)
_MAX_AGENT: Final = 512
_POLICY: Final = b"default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def is_preview_agent(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"user-agent":
            return _PREVIEW_AGENTS.search(value[:_MAX_AGENT]) is not None
    return False


class PreviewLink(Expiring):
    """A link with a social preview: ``page`` for link-preview crawlers, ``inner`` for everyone else.

    Not a Redirect, so that links without a preview keep the fast path.
    """

    __slots__ = ("expires_at_ms", "inner", "page")

    def __init__(
        self, record: LinkRecord, preview: Preview, inner: Redirect | LimitedRedirect | RoutedRedirect
    ) -> None:
        self.inner = inner
        self.expires_at_ms = record.expires_at_ms
        self.page = StaticResponse(200, _page(preview), HTML, policy=_POLICY)


def _page(preview: Preview) -> bytes:
    tags = [
        ("og:type", "website"),
        ("og:title", preview.title),
        ("og:description", preview.description),
        ("og:image", preview.image),
        ("twitter:card", "summary_large_image" if preview.image else "summary"),
    ]
    # Open Graph names are properties; X reads its own as names.
    metas = "\n".join(
        f'<meta {"name" if name.startswith("twitter:") else "property"}="{name}" content="{html.escape(value)}">'
        for name, value in tags
        if value is not None
    )
    title = html.escape(preview.title or preview.description or "")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">\n'
        f"<title>{title}</title>\n{metas}\n</head><body><h1>{title}</h1></body></html>\n"
    ).encode()
