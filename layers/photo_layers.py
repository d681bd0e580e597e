"""Photos stored with problems: those of the report and the evidence of rectification.

``photos`` is an internal table without geometry
(:attr:`~citygrid.layers.registry.Layer.internal`): no provider serves it
and import and export refuse it, so a photo reaches nobody but through
:mod:`citygrid.services.cycle.photos`, which checks that its reader may
see the problem. The image itself is a secret field (``data``): the audit
log never holds its bytes.
"""

from __future__ import annotations

from citygrid.layers.registry import Choice, Field, Layer, register

PHOTO_KINDS = (
    Choice("report", "上报照片", "report photo"),
    Choice("evidence", "整改反馈照片", "evidence photo"),
)
"""Why a photo was taken: with the report, or as evidence of rectification (反馈)."""

PHOTOS = register(
    Layer(
        "photos",
        "问题照片",
        "Problem photos",
        None,
        (
            Field("code", "str", "照片编号", "photo id", required=True, indexed=True),
            Field(
                "problem_code",
                "str",
                "问题编号",
                "problem code",
                required=True,
                references="problems",
                indexed=True,
            ),
            Field("kind", "str", "照片类别", "kind", required=True, choices=PHOTO_KINDS),
            Field("content_type", "str", "文件类型", "content type", required=True),
            Field("size", "int", "字节数", "size in bytes", required=True),
            Field("sha256", "str", "SHA-256", "SHA-256", required=True),
            Field("data", "bytes", "图像", "image", required=True, secret=True),
            Field("added_at", "datetime", "添加时间", "added at", required=True),
            Field("added_by", "str", "添加人", "added by", personal=True),
        ),
        popup=("code", "problem_code", "kind", "added_at"),
        editable=False,
        internal=True,
    )
)
