"""/api/v1/treatments/house-limits: the clinic's house maximums per product and area, read by
clinicians and set by the medical director (mounted on the treatments router)."""

from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from glabella.core.api import api_actor, requires
from glabella.core.roles import Capability
from glabella.treatments import protocol

router = Router(tags=["treatments"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class HouseLimitOut(Schema):
    product: str
    area: str
    off_label: bool
    label_max: Decimal | None
    area_max: Decimal
    point_max: Decimal
    default_area_max: Decimal
    default_point_max: Decimal


class HouseLimitIn(Strict):
    product: str = Field(max_length=30)
    area: str = Field(max_length=30)
    area_max: Decimal | None = Field(None, description="Empty: the shipped default")
    point_max: Decimal | None = Field(None, description="Empty: the shipped default")
    reason: str = Field(max_length=300)


def _limit_out(row: protocol.HouseRow) -> dict:
    return {**row.__dict__, "product": row.product.value, "off_label": row.off_label}


@router.get(
    "/house-limits",
    response=list[HouseLimitOut],
    auth=requires(Capability.VIEW_CLINICAL),
    summary="The clinic's house maximums",
)
def house_limits(request: HttpRequest):
    """Every product's ceiling in every area (label and off-label), in force and as shipped."""
    return [_limit_out(row) for row in protocol.house_limits()]


@router.post(
    "/house-limits",
    response={201: HouseLimitOut},
    auth=requires(Capability.SET_PROTOCOL),
    summary="Set a house maximum",
)
def set_house_limit(request: HttpRequest, payload: HouseLimitIn):
    """The medical director sets a product's maximum for an area and for one point."""
    actor = api_actor(request)
    protocol.set_house_dose(
        actor,
        payload.product,
        payload.area,
        payload.area_max,
        payload.reason,
        point_max=payload.point_max,
    )
    row = next(
        r
        for r in protocol.house_limits()
        if r.product.value == payload.product and r.area == payload.area
    )
    return Status(201, _limit_out(row))
