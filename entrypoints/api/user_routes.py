"""HTTP routes of the user lifecycle: users (admin), and a user's own password and sessions."""

import punq
from starlette.requests import Request
from starlette.responses import Response

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
from domain.tokens import TokenClaims
from domain.users import User
from entrypoints.api import auth_shapes as shapes
from entrypoints.http.contract import Endpoint, Operation, json_of
from entrypoints.http.requests import changes_of, client_address

USERS = "users"
LIST_USERS = Operation(
    "GET",
    "/api/users",
    "listUsers",
    "Users by username, a page at a time (admin)",
    USERS,
    scope="users:read",
    response=shapes.UserPage,
    errors=(403, 422, 503),
    query=shapes.UsersQuery,
    example=shapes.USERS_EXAMPLE,
)
CREATE_USER = Operation(
    "POST",
    "/api/users",
    "createUser",
    "Create a user (admin); a username deleted earlier may be taken again",
    USERS,
    scope="users:write",
    ok=201,
    response=shapes.UserView,
    body=shapes.NewUser,
    errors=(400, 403, 409, 413, 422, 503),
    example=shapes.USER_EXAMPLE,
    request_example=shapes.NewUser("alice", "correct horse battery staple", []),
)
GET_USER = Operation(
    "GET",
    "/api/users/{username}",
    "getUser",
    "One user (admin, or the user themselves)",
    USERS,
    scope="users:read",
    response=shapes.UserView,
    errors=(403, 404, 503),
    path_params=shapes.UserPath,
    example=shapes.USER_EXAMPLE,
)
UPDATE_USER = Operation(
    "PATCH",
    "/api/users/{username}",
    "updateUser",
    "Change roles or disable (admin); disabling or removing a role revokes every token of"
    " the user at once. " + shapes.FILE_USER,
    USERS,
    scope="users:write",
    response=shapes.UserView,
    body=shapes.UserChanges,
    errors=(400, 403, 404, 409, 413, 422, 503),
    path_params=shapes.UserPath,
    example=shapes.USER_EXAMPLE,
    request_example=shapes.UserChanges(disabled=True),
)
DELETE_USER = Operation(
    "DELETE",
    "/api/users/{username}",
    "deleteUser",
    "Delete a user (admin): every token of theirs is refused from now on, also if the"
    " username is created again. " + shapes.FILE_USER,
    USERS,
    scope="users:write",
    ok=204,
    errors=(403, 404, 409, 503),
    path_params=shapes.UserPath,
)
CHANGE_PASSWORD = Operation(
    "POST",
    "/api/auth/password",
    "changePassword",
    "Change the caller's own password; every other session of the caller is revoked (this"
    " access token keeps working until it expires). " + shapes.FILE_USER,
    USERS,
    ok=204,
    body=shapes.PasswordChange,
    errors=(400, 409, 413, 422, 503),
    request_example=shapes.PasswordChange("correct horse battery staple", "a-better-password"),
)
LOGOUT_ALL = Operation(
    "POST",
    "/api/auth/logout-all",
    "logoutEverywhere",
    "Revoke every token of the caller, on every device, this one included",
    USERS,
    ok=204,
    errors=(503,),
)


def user_view(user: User) -> shapes.UserView:
    return shapes.UserView(
        user.username,
        sorted(user.roles),
        user.disabled,
        rfc3339(user.created_at) if user.created_at else None,
        user.source,
    )


def routes(container: punq.Container) -> list[Endpoint]:
    verify: VerifyToken = container.resolve(VerifyToken)
    create_user: CreateUser = container.resolve(CreateUser)
    list_users: ListUsers = container.resolve(ListUsers)
    get_user: GetUser = container.resolve(GetUser)
    update_user: UpdateUser = container.resolve(UpdateUser)
    delete_user: DeleteUser = container.resolve(DeleteUser)
    change_password: ChangePassword = container.resolve(ChangePassword)
    logout_all: LogoutAll = container.resolve(LogoutAll)

    async def list_endpoint(
        request: Request, caller: TokenClaims, query: shapes.UsersQuery
    ) -> Response:
        page = await list_users(caller, query.limit, query.cursor)
        items = [user_view(u) for u in page.items]
        return json_of(shapes.UserPage(items, page.next_cursor))

    async def create_endpoint(
        request: Request, caller: TokenClaims, body: shapes.NewUser
    ) -> Response:
        user = await create_user(
            caller, body.username, body.password, body.roles, client_address(request)
        )
        return json_of(user_view(user), status=201)

    async def get_endpoint(
        request: Request, caller: TokenClaims, path: shapes.UserPath
    ) -> Response:
        return json_of(user_view(await get_user(caller, path.username)))

    async def update_endpoint(
        request: Request, caller: TokenClaims, path: shapes.UserPath, body: shapes.UserChanges
    ) -> Response:
        changes = changes_of(body, ("roles", "disabled"))
        user = await update_user(caller, path.username, changes, client_address(request))
        return json_of(user_view(user))

    async def delete_endpoint(
        request: Request, caller: TokenClaims, path: shapes.UserPath
    ) -> Response:
        await delete_user(caller, path.username, client_address(request))
        return Response(status_code=204)

    async def password_endpoint(
        request: Request, caller: TokenClaims, body: shapes.PasswordChange
    ) -> Response:
        await change_password(
            caller, body.current_password, body.new_password, client_address(request)
        )
        return Response(status_code=204)

    async def logout_all_endpoint(request: Request, caller: TokenClaims) -> Response:
        await logout_all(caller, client_address(request))
        return Response(status_code=204)

    return [
        Endpoint(LIST_USERS, list_endpoint, verify),
        Endpoint(CREATE_USER, create_endpoint, verify),
        Endpoint(GET_USER, get_endpoint, verify),
        Endpoint(UPDATE_USER, update_endpoint, verify),
        Endpoint(DELETE_USER, delete_endpoint, verify),
        Endpoint(CHANGE_PASSWORD, password_endpoint, verify),
        Endpoint(LOGOUT_ALL, logout_all_endpoint, verify),
    ]
