"""HTTP routes of the OAuth clients (admin, or a client holding `clients:write`)."""

from typing import Any

import punq
from starlette.requests import Request
from starlette.responses import Response

from application.auth.clients import (
    CreateClient,
    DeleteClient,
    GetClient,
    ListClients,
    RotateClientSecret,
    UpdateClient,
)
from application.auth.tokens import VerifyToken
from domain.clients import Client, ClientPolicy
from domain.times import rfc3339
from domain.tokens import TokenClaims
from entrypoints.api import client_shapes as shapes
from entrypoints.http.contract import Endpoint, Operation, json_of
from entrypoints.http.requests import changes_of, client_address

CLIENTS = "clients"
WRITE = "clients:write"
NO_STORE = {"Cache-Control": "no-store"}
LIST_CLIENTS = Operation(
    "GET",
    "/api/clients",
    "listClients",
    "OAuth clients by id, a page at a time (admin)",
    CLIENTS,
    scope=WRITE,
    response=shapes.ClientPage,
    errors=(403, 422, 503),
    query=shapes.ClientsQuery,
    example=shapes.PAGE_EXAMPLE,
)
GET_CLIENT = Operation(
    "GET",
    "/api/clients/{client_id}",
    "getClient",
    "One OAuth client (admin)",
    CLIENTS,
    scope=WRITE,
    response=shapes.ClientView,
    errors=(403, 404, 503),
    path_params=shapes.ClientPath,
    example=shapes.CLIENT_EXAMPLE,
)
DELETE_CLIENT = Operation(
    "DELETE",
    "/api/clients/{client_id}",
    "deleteClient",
    "Delete a client (admin): every token it holds is refused from now on. " + shapes.CONFIGURED,
    CLIENTS,
    scope=WRITE,
    ok=204,
    errors=(403, 404, 409, 503),
    path_params=shapes.ClientPath,
)
ROTATE_SECRET = Operation(
    "POST",
    "/api/clients/{client_id}/secret",
    "rotateClientSecret",
    "A new secret for a client (admin), shown this once; the previous one keeps working for"
    " BALLAST_CLIENT_SECRET_OVERLAP seconds. " + shapes.CONFIGURED,
    CLIENTS,
    scope=WRITE,
    response=shapes.NewSecret,
    errors=(403, 404, 409, 503),
    path_params=shapes.ClientPath,
    example=shapes.NewSecret(shapes.EXAMPLE_SECRET),
)


def changing_operations(scopes: tuple[str, ...]) -> tuple[Operation, Operation]:
    """Built from the scopes this server knows: the document lists them as the only values."""
    new_client, client_changes = shapes.body_shapes(scopes)
    create = Operation(
        "POST",
        "/api/clients",
        "createClient",
        "Create an OAuth client (admin); its secret is in this answer and never again. 409"
        " when production runs without an https URL BALLAST_JWT_ISSUER",
        CLIENTS,
        scope=WRITE,
        ok=201,
        response=shapes.CreatedClient,
        body=new_client,
        errors=(400, 403, 409, 413, 422, 503),
        example=shapes.CREATED_EXAMPLE,
        request_example=new_client("billing", ["notifications:send"]),
    )
    update = Operation(
        "PATCH",
        "/api/clients/{client_id}",
        "updateClient",
        "Change a client (admin); disabling it, or taking a scope or its audience away,"
        " revokes every token it holds at once. " + shapes.CONFIGURED,
        CLIENTS,
        scope=WRITE,
        response=shapes.ClientView,
        body=client_changes,
        errors=(400, 403, 404, 409, 413, 422, 503),
        path_params=shapes.ClientPath,
        example=shapes.CLIENT_EXAMPLE,
        request_example=client_changes(disabled=True),
    )
    return create, update


def client_view(client: Client) -> shapes.ClientView:
    return shapes.ClientView(
        client.client_id,
        client.name,
        sorted(client.scopes),
        client.audience,
        rfc3339(client.created_at) if client.created_at else None,
        client.disabled,
        client.source,
    )


def routes(container: punq.Container) -> list[Endpoint]:
    verify: VerifyToken = container.resolve(VerifyToken)
    create: CreateClient = container.resolve(CreateClient)
    list_clients: ListClients = container.resolve(ListClients)
    get: GetClient = container.resolve(GetClient)
    update: UpdateClient = container.resolve(UpdateClient)
    delete: DeleteClient = container.resolve(DeleteClient)
    rotate: RotateClientSecret = container.resolve(RotateClientSecret)
    create_client, update_client = changing_operations(container.resolve(ClientPolicy).scopes)

    async def list_endpoint(
        request: Request, caller: TokenClaims, query: shapes.ClientsQuery
    ) -> Response:
        page = await list_clients(caller, query.limit, query.cursor)
        return json_of(shapes.ClientPage([client_view(c) for c in page.items], page.next_cursor))

    async def create_endpoint(request: Request, caller: TokenClaims, body: Any) -> Response:
        new = await create(caller, body.name, body.scopes, body.audience, client_address(request))
        c = new.client
        view = shapes.CreatedClient(
            c.client_id,
            new.secret,
            c.name,
            sorted(c.scopes),
            c.audience,
            rfc3339(c.created_at),
            c.disabled,
        )
        return json_of(view, status=201, headers=NO_STORE)

    async def get_endpoint(
        request: Request, caller: TokenClaims, path: shapes.ClientPath
    ) -> Response:
        return json_of(client_view(await get(caller, path.client_id)))

    async def update_endpoint(
        request: Request, caller: TokenClaims, path: shapes.ClientPath, body: Any
    ) -> Response:
        changes = changes_of(body, ("name", "scopes", "audience", "disabled"))
        client = await update(caller, path.client_id, changes, client_address(request))
        return json_of(client_view(client))

    async def delete_endpoint(
        request: Request, caller: TokenClaims, path: shapes.ClientPath
    ) -> Response:
        await delete(caller, path.client_id, client_address(request))
        return Response(status_code=204)

    async def rotate_endpoint(
        request: Request, caller: TokenClaims, path: shapes.ClientPath
    ) -> Response:
        secret = await rotate(caller, path.client_id, client_address(request))
        return json_of(shapes.NewSecret(secret), headers=NO_STORE)

    return [
        Endpoint(LIST_CLIENTS, list_endpoint, verify),
        Endpoint(create_client, create_endpoint, verify),
        Endpoint(GET_CLIENT, get_endpoint, verify),
        Endpoint(update_client, update_endpoint, verify),
        Endpoint(DELETE_CLIENT, delete_endpoint, verify),
        Endpoint(ROTATE_SECRET, rotate_endpoint, verify),
    ]
