"""Linkage alerts in the browser, and the network picture of a linked person.

``/alerts`` lists what ``GET /api/alerts`` returns (:func:`palermo.access.alerts.linkage_alerts`, analysts,
audited with the stated purpose); each alert links to the network around the person
(:func:`palermo.access.network.entity_network`, within the viewer's agreements, audited the same way),
drawn by the library's :func:`palermo.link.network.network_chart` as SVG on the server.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from ..access.alerts import linkage_alerts
from ..access.network import EntityNetwork, entity_network
from ..link.network import KINDS, network_chart
from ..reports.charts import svg
from ..server.deps import StoreDep
from ..server.identity import Principal
from .auth import web_role
from .templating import render

router = APIRouter(include_in_schema=False)
Analyst = Annotated[Principal, Depends(web_role("analyst"))]
"""As the API's alerts: analysts only."""
Purpose = Annotated[str, Query(max_length=2000)]
EntityId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/alerts")
def alerts_page(request: Request, user: Analyst, store: StoreDep, purpose: Purpose = "") -> HTMLResponse:
    """Ask the purpose, then list the persons one holds whom the last linkage run found held elsewhere too."""
    stated = purpose.strip()
    found = linkage_alerts(store, user.organisation, actor=user.name, purpose=stated) if stated else None
    return render(request, "alerts.html.j2", alerts=found, purpose=stated)


def _picture(network: EntityNetwork) -> str:
    """The network as an SVG data URI (an image: nothing in it can run)."""
    title = f"Network around {network.entity_id} ({network.radius} link{'s' if network.radius > 1 else ''})"
    drawn = svg(network_chart(network.graph, title=title))
    return "data:image/svg+xml;base64," + base64.b64encode(drawn.encode("utf-8")).decode("ascii")


@router.get("/alerts/{entity_id}")
def network_page(
    request: Request, user: Analyst, store: StoreDep, entity_id: EntityId, purpose: Purpose = ""
) -> HTMLResponse:
    """The network around one linked person the organisation holds (asks the purpose first)."""
    stated = purpose.strip()
    if not stated:
        return render(request, "network.html.j2", entity_id=entity_id, purpose="", network=None, picture="",
                      nodes=[])
    network = entity_network(store, user.organisation, entity_id, actor=user.name, purpose=stated)
    graph = network.graph
    order = {kind: i for i, kind in enumerate(KINDS)}
    nodes = sorted(
        ({"node": node, "kind": str(d.get("kind", "")), "label": str(d.get("label", node)),
          "orgs": str(d.get("orgs", "")), "links": graph.degree(node)} for node, d in graph.nodes(data=True)),
        key=lambda n: (order.get(str(n["kind"]), len(order)), str(n["label"])),
    )
    return render(request, "network.html.j2", entity_id=entity_id, purpose=stated, network=network,
                  picture=_picture(network), nodes=nodes)
