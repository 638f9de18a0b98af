"""The panel where a participant states name, role and team, once per workshop.

Voila gives every page its own kernel, so "once" works through the link: after joining, the
panel lists the other exercises with the participant in the query string, and the panel of
the next exercise joins by itself from it (same name, same participant id in the store).
"""

from __future__ import annotations

import html

from ..display.widgets import Html, error_html, show
from ..errors import WorkbookError
from .answer_store import ROLES
from .exercise import pages
from .session import Participant, Workshop, participant_from_query, participant_query


def next_links(participant: Participant, current: str = "") -> str:
    """Links to the other exercises that carry the participant along (escaped HTML)."""
    query = participant_query(participant.name, participant.role, participant.team)
    items = [
        f'<li><a href="{html.escape(page)}?{html.escape(query)}">{html.escape(title)}</a></li>'
        for page, title in pages().items()
        if page != current
    ]
    return "<ul>" + "".join(items) + "</ul>"


class JoinPanel:
    """Name, role (and team, when the session has several) and a Join button.

    Parameters
    ----------
    workshop : Workshop
        Where the participant joins.
    name, role, team : str, optional
        Prefill (notebook parameters); the page's query string, when there is one, wins.
    page : str, optional
        This notebook's file name, left out of the links to the other exercises.
    query : str, optional
        The page's query string (``name=…&role=…``); by default Voila's ``$QUERY_STRING``.
    links : bool
        After joining, list links to the other exercise notebooks (one notebook per page);
        the served workshop shows every exercise on one page and needs none.

    In an anonymous session the panel asks for a nickname instead of a name.
    """

    def __init__(
        self,
        workshop: Workshop,
        *,
        name: str = "",
        role: str = "",
        team: str = "",
        page: str = "",
        query: str | None = None,
        links: bool = True,
    ) -> None:
        import ipywidgets as widgets

        self.workshop = workshop
        self.page = page
        self.links = links
        given = {"name": name, "role": role if role in ROLES else "", "team": team}
        given.update(participant_from_query(query))
        teams = workshop.teams()
        anonymous = workshop.anonymous()
        self.name = widgets.Text(
            value=given["name"],
            description="Nickname" if anonymous else "Your name",
            placeholder="pick a nickname, not your name" if anonymous else "e.g. Ana Costa",
        )
        self.name.add_class("join-name")
        self.role = widgets.ToggleButtons(
            options=[("Sales", "sales"), ("Marketing", "marketing")],
            value=given["role"] or None,
            description="Your role",
        )
        self.team = widgets.Dropdown(
            options=list(teams),
            value=given["team"] if given["team"] in teams else teams[0],
            description="Your team",
            layout=widgets.Layout(display="" if len(teams) > 1 else "none"),
        )
        self.button = widgets.Button(description="Join", button_style="primary", icon="sign-in")
        self.status = widgets.HTML()
        self.status.add_class("join-status")
        self.button.on_click(lambda _: self.submit())
        self.widget = widgets.VBox(
            [
                widgets.HTML(f"<b>Workshop session:</b> {html.escape(workshop.session)}"),
                self.name,
                self.role,
                self.team,
                self.button,
                self.status,
            ]
        )
        if given["name"] and given["role"]:
            self.submit()

    def submit(self) -> Participant | None:
        """Join with the values entered; say what went wrong in the panel if it fails."""
        try:
            who = self.workshop.join(self.name.value, self.role.value or "", self.team.value)
        except WorkbookError as err:
            self.status.value = error_html(err)
            return None
        self.name.disabled = self.role.disabled = self.team.disabled = True
        self.button.disabled = True
        self.button.description = "Joined"
        self.status.value = (
            f"Joined as <b>{html.escape(who.name)}</b> ({html.escape(who.role)}"
            f"{', team ' + html.escape(who.team) if who.team else ''}). "
            "Your answers are saved as you give them."
            + (" The other exercises:" + next_links(who, self.page) if self.links else "")
        )
        return who

    def display(self) -> None:
        """Show the panel; on a static page, a line saying who joins where."""
        fallback = Html(
            f"<p><b>Workshop session:</b> {html.escape(self.workshop.session)}. "
            "Participants enter their name and role here when they open the exercise.</p>"
        )
        show(self.widget, fallback)
