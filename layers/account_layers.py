"""The accounts' layers: users and their API tokens (tables without geometry).

Both are internal (:attr:`~citygrid.layers.registry.Layer.internal`): the
store keeps and audits them like any layer, but no provider serves them and
import and export refuse them. Password and token hashes are secret fields,
so the audit log records that they changed, never their values. What each
role may do is :mod:`citygrid.services.accounts.roles`' business.
"""

from __future__ import annotations

from citygrid.layers.registry import Choice, Field, Layer, register

ROLES = (
    Choice("admin", "管理员", "administrator"),
    Choice("planner", "规划人员", "planner"),
    Choice("grid_manager", "网格员", "grid manager"),
    Choice("unit_handler", "责任单位经办人", "unit handler"),
    Choice("inspector", "巡查员", "inspector"),
    Choice("viewer", "只读用户", "viewer"),
)

USERS = register(
    Layer(
        "users",
        "用户",
        "Users",
        None,
        (
            Field("code", "str", "用户名", "user name", required=True, indexed=True),
            Field("name", "str", "姓名", "full name"),
            Field("role", "str", "角色", "role", required=True, choices=ROLES),
            Field("scope", "str", "范围", "scope"),
            Field("person_code", "str", "人员", "person", references="people"),
            Field("password_hash", "str", "密码散列", "password hash", secret=True),
            Field("disabled", "bool", "已停用", "disabled"),
            Field("demo", "bool", "演示账号", "demo account"),
            Field("created_at", "datetime", "创建时间", "created at"),
            Field("password_changed_at", "datetime", "密码修改时间", "password changed at"),
            Field("last_login_at", "datetime", "最近登录", "last login"),
        ),
        popup=("code", "name", "role", "scope"),
        editable=False,
        internal=True,
    )
)

TOKENS = register(
    Layer(
        "tokens",
        "访问令牌",
        "API tokens",
        None,
        (
            Field("code", "str", "令牌编号", "token id", required=True, indexed=True),
            Field(
                "user_code",
                "str",
                "用户名",
                "user name",
                required=True,
                references="users",
                indexed=True,
            ),
            Field("secret_hash", "str", "令牌散列", "token hash", required=True, secret=True),
            Field("label", "str", "用途", "label"),
            Field("created_at", "datetime", "签发时间", "issued at", required=True),
            Field("expires_at", "datetime", "到期时间", "expires at", required=True),
            Field("revoked_at", "datetime", "吊销时间", "revoked at"),
            Field("last_used_at", "datetime", "最近使用", "last used"),
        ),
        popup=("code", "user_code", "label", "expires_at"),
        editable=False,
        internal=True,
    )
)
