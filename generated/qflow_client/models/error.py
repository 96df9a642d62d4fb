from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_model_state import ErrorModelState


T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """Decision (contract rule 8): the pages document no error answers. Errors carry the body
    ASP.NET Web API writes: a `Message`, and for an invalid body a `ModelState` mapping each
    bad property to its messages. Other properties (ASP.NET's `MessageDetail`, for one) may
    appear and are to be ignored.

        Attributes:
            message (str): What went wrong, for a person to read.
            model_state (ErrorModelState | Unset): Each bad property, named, with its messages. Optional.
    """

    message: str
    model_state: ErrorModelState | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        model_state: dict[str, Any] | Unset = UNSET
        if not isinstance(self.model_state, Unset):
            model_state = self.model_state.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "Message": message,
            }
        )
        if model_state is not UNSET:
            field_dict["ModelState"] = model_state

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_model_state import ErrorModelState  # noqa: PLC0415

        d = dict(src_dict)
        message = d.pop("Message")

        _model_state = d.pop("ModelState", UNSET)
        model_state: ErrorModelState | Unset
        if isinstance(_model_state, Unset):
            model_state = UNSET
        else:
            model_state = ErrorModelState.from_dict(_model_state)

        error = cls(
            message=message,
            model_state=model_state,
        )

        error.additional_properties = d
        return error

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
