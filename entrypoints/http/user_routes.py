"""HTTP routes of the user lifecycle: users (admin), and a user's own password and sessions."""

import punq
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from application.auth.tokens import VerifyToken
from application.auth.user_admin import (
    ChangePassword,
    DeleteUser,
    GetUser,
    ListUsers,
    LogoutAll,
    UpdateUser,
)
from application.auth.users import CreateUser
from domain.times import rfc3339
from domain.users import User
from entrypoints.http.requests import authenticate, client_address, int_param, json_object, strings

DEFAULT_PAGE = 50


def user_json(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "roles": sorted(user.roles),
        "disabled": user.disabled,
        "created_at": rfc3339(user.created_at) if user.created_at else None,
        "source": user.source.value,
    }


def routes(container: punq.Container) -> list[Route]:
    verify: VerifyToken = container.resolve(VerifyToken)
    create_user: CreateUser = container.resolve(CreateUser)
    list_users: ListUsers = container.resolve(ListUsers)
    get_user: GetUser = container.resolve(GetUser)
    update_user: UpdateUser = container.resolve(UpdateUser)
    delete_user: DeleteUser = container.resolve(DeleteUser)
    change_password: ChangePassword = container.resolve(ChangePassword)
    logout_all: LogoutAll = container.resolve(LogoutAll)

    async def users_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        if request.method == "GET":
            page = await list_users(
                caller,
                int_param(request, "limit", DEFAULT_PAGE),
                request.query_params.get("cursor"),
            )
            return JSONResponse(
                {"items": [user_json(u) for u in page.items], "next_cursor": page.next_cursor}
            )
        body = await json_object(request)
        user = await create_user(
            caller,
            body.get("username"),
            body.get("password"),
            body.get("roles"),
            client_address(request),
        )
        return JSONResponse(user_json(user), status_code=201)

    async def user_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        username: str = request.path_params["username"]
        if request.method == "GET":
            return JSONResponse(user_json(await get_user(caller, username)))
        if request.method == "DELETE":
            await delete_user(caller, username, client_address(request))
            return Response(status_code=204)
        changes = await json_object(request)
        user = await update_user(caller, username, changes, client_address(request))
        return JSONResponse(user_json(user))

    async def password_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        current, new = strings(await json_object(request), "current_password", "new_password")
        await change_password(caller, current, new, client_address(request))
        return Response(status_code=204)

    async def logout_all_endpoint(request: Request) -> Response:
        caller = await authenticate(request, verify)
        await logout_all(caller, client_address(request))
        return Response(status_code=204)

    return [
        Route("/api/users", users_endpoint, methods=["GET", "POST"]),
        Route("/api/users/{username}", user_endpoint, methods=["GET", "PATCH", "DELETE"]),
        Route("/api/auth/password", password_endpoint, methods=["POST"]),
        Route("/api/auth/logout-all", logout_all_endpoint, methods=["POST"]),
    ]
