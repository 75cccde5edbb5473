"""Which images a job names, per provider kind, read from ``Job.raw``.

Pure functions of the payload: nothing is fetched here. A Cognite file has no
URL in the job (only ids), so its reference carries the file id and is
resolved through the provider's own authenticated client later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobtui.model import Job

__all__ = ["ImageRef", "Polygon", "image_refs"]

Polygon = tuple[tuple[float, float], ...]
"""Vertices in 0–1 image coordinates (x right, y down)."""

MAX_REFS = 32
"""A job naming thousands of images previews the first ones only."""


@dataclass(frozen=True)
class ImageRef:
    """One image a job names."""

    label: str
    """What the user sees above the picture (a file name, an output id)."""
    url: str | None = None
    """Where to fetch it; None until a Cognite file is resolved."""
    alternates: tuple[str, ...] = ()
    """Other URLs of the same picture (Image Intelligence ``proxyUrl``), tried in order."""
    expires_at: datetime | None = None
    """When the URL stops working (Tensor.Art result URLs), if the provider says."""
    file_id: int | None = None
    """A Cognite file id, resolved to a download link by the provider's client."""
    polygons: tuple[Polygon, ...] = ()
    """Segments to draw over the picture, one colour per segment (``segment_of``)."""
    segment_of: tuple[int, ...] = field(default=())
    """For each polygon, the index of the segment it belongs to."""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _http_url(value: object) -> str | None:
    if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
        return value
    return None


def _expiry(value: object) -> datetime | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if number <= 0:
        return None
    seconds = number / 1000.0 if number > 10**11 else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _tensorart(raw: Mapping[str, Any]) -> list[ImageRef]:
    job = _dict(raw.get("job")) or dict(raw)
    refs: list[ImageRef] = []
    for index, image in enumerate(_list(_dict(job.get("successInfo")).get("images"))):
        entry = _dict(image)
        url = _http_url(entry.get("url"))
        if url is None:
            continue
        meta = _dict(_dict(entry.get("meta")).get("image"))
        size = f" {meta['width']}×{meta['height']}" if "width" in meta and "height" in meta else ""
        refs.append(
            ImageRef(
                label=f"image {index + 1}{size}",
                url=url,
                expires_at=_expiry(entry.get("expiredIn")),
            )
        )
    return refs


def _imageintelligence(raw: Mapping[str, Any]) -> list[ImageRef]:
    refs: list[ImageRef] = []
    for index, image in enumerate(_list(raw.get("imageResults"))):
        entry = _dict(image)
        urls = [u for u in (_http_url(entry.get("url")), _http_url(entry.get("proxyUrl"))) if u]
        if not urls:
            continue
        name = str(entry.get("customId") or urls[0].rsplit("/", 1)[-1] or f"image {index + 1}")
        status = entry.get("status")
        refs.append(
            ImageRef(
                label=f"{name}  {status}" if isinstance(status, str) else name,
                url=urls[0],
                alternates=tuple(urls[1:]),
            )
        )
    return refs


def _cognite(raw: Mapping[str, Any]) -> list[ImageRef]:
    refs: list[ImageRef] = []
    for item in _list(raw.get("items")):
        entry = _dict(item)
        file_id = entry.get("fileId")
        if not isinstance(file_id, int) or isinstance(file_id, bool):
            continue
        polygons: list[Polygon] = []
        owners: list[int] = []
        for number, segment in enumerate(_list(entry.get("segments"))):
            for polygon in _list(_dict(segment).get("polygons")):
                vertices = tuple(
                    (float(v["x"]), float(v["y"]))
                    for v in _list(_dict(polygon).get("vertices"))
                    if isinstance(v, dict)
                    and isinstance(v.get("x"), int | float)
                    and isinstance(v.get("y"), int | float)
                )
                if len(vertices) >= 3:
                    polygons.append(vertices)
                    owners.append(number)
        external = entry.get("fileExternalId")
        instance = _dict(entry.get("fileInstanceId")).get("externalId")
        name = external if isinstance(external, str) else instance
        label = name if isinstance(name, str) else f"file {file_id}"
        count = len(_list(entry.get("segments")))
        refs.append(
            ImageRef(
                label=f"{label}  {count} segment{'s' if count != 1 else ''}",
                file_id=file_id,
                polygons=tuple(polygons),
                segment_of=tuple(owners),
            )
        )
    return refs


def _deepomatic(raw: Mapping[str, Any]) -> list[ImageRef]:
    # A task carries its inputs only when the caller kept them (``inputs[].image.source``).
    refs: list[ImageRef] = []
    for index, item in enumerate(_list(raw.get("inputs"))):
        url = _http_url(_dict(_dict(item).get("image")).get("source"))
        if url is not None:
            refs.append(ImageRef(label=f"input {index + 1}", url=url))
    return refs


_BY_KIND: dict[str, Callable[[Mapping[str, Any]], list[ImageRef]]] = {
    "tensorart": _tensorart,
    "imageintelligence": _imageintelligence,
    "cognite": _cognite,
    "deepomatic": _deepomatic,
}


def image_refs(job: Job) -> list[ImageRef]:
    """The images ``job`` names (at most ``MAX_REFS``), empty when it names none."""
    reader = _BY_KIND.get(job.kind)
    if reader is None or not isinstance(job.raw, dict):
        return []
    return reader(job.raw)[:MAX_REFS]
