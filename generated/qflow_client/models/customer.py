from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.customer_custom_properties_type_0 import CustomerCustomPropertiesType0


T = TypeVar("T", bound="Customer")


@_attrs_define
class Customer:
    """Customer Record, as a server answers it (vendor page: "Customer Record" for PATCH,
    "Customer" for GET). Decision (contract rule 2): every answer carries all 16 properties;
    `CustomerId` is always an integer, any other property may be `null` (a .NET string or
    nullable value that was never set).

        Attributes:
            customer_id (int): QFlow Customer Id
            personal_id (None | str): Vendor's Customer identifier
            personal_id_type_id (int | None): Vendor's Customer identifier Type (QFlow CustomerIdTypeId). 0 =none,
                null=first
                available
            personal_id_type_ext_ref (None | str): The vendor page gives no description. Decision (contract rule 4): the
                external reference of the
                customer's customer-id type.
            first_name (None | str): First Name
            last_name (None | str): Last Name
            email (None | str): Email address. The vendor's table drops this row's name; its JSON samples show it is
                `Email`.
            tel_number_1 (None | str): Phone Number 1
            tel_number_2 (None | str): Phone Number 2
            dob (None | str): Date of Birth (vendor page: type date). Decision (contract rule 1): a date-time as .NET
                writes it, up to seven fractional digits, the offset optional (a .NET DateTime of
                unspecified kind is written without one). Its calendar date is the date that was sent
                in the server's offset; its form may differ (`Z` written as `+00:00`, the fraction
                trimmed to seven digits, another offset converted to the server's, the same instant).
            sex (int | None): 0=Unknown; 1=Male; 2=Female. Vendor page: type byte, "Range: inclusive between 0
                and 2".
            notes (None | str): Notes
            ext_ref (None | str): Custom External Reference
            notification_consent (bool | None): The vendor page gives no description.
            is_active (bool | None): Is customer record enabled
            custom_properties (CustomerCustomPropertiesType0 | None): Collection of all custom properties for this customer
                (vendor page: Dictionary of
                string [key] and string [value]).
    """

    customer_id: int
    personal_id: None | str
    personal_id_type_id: int | None
    personal_id_type_ext_ref: None | str
    first_name: None | str
    last_name: None | str
    email: None | str
    tel_number_1: None | str
    tel_number_2: None | str
    dob: None | str
    sex: int | None
    notes: None | str
    ext_ref: None | str
    notification_consent: bool | None
    is_active: bool | None
    custom_properties: CustomerCustomPropertiesType0 | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.customer_custom_properties_type_0 import CustomerCustomPropertiesType0  # noqa: PLC0415

        customer_id = self.customer_id

        personal_id: None | str
        personal_id = self.personal_id

        personal_id_type_id: int | None
        personal_id_type_id = self.personal_id_type_id

        personal_id_type_ext_ref: None | str
        personal_id_type_ext_ref = self.personal_id_type_ext_ref

        first_name: None | str
        first_name = self.first_name

        last_name: None | str
        last_name = self.last_name

        email: None | str
        email = self.email

        tel_number_1: None | str
        tel_number_1 = self.tel_number_1

        tel_number_2: None | str
        tel_number_2 = self.tel_number_2

        dob: None | str
        dob = self.dob

        sex: int | None
        sex = self.sex

        notes: None | str
        notes = self.notes

        ext_ref: None | str
        ext_ref = self.ext_ref

        notification_consent: bool | None
        notification_consent = self.notification_consent

        is_active: bool | None
        is_active = self.is_active

        custom_properties: dict[str, Any] | None
        if isinstance(self.custom_properties, CustomerCustomPropertiesType0):
            custom_properties = self.custom_properties.to_dict()
        else:
            custom_properties = self.custom_properties

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "CustomerId": customer_id,
                "PersonalId": personal_id,
                "PersonalIdTypeId": personal_id_type_id,
                "PersonalIdTypeExtRef": personal_id_type_ext_ref,
                "FirstName": first_name,
                "LastName": last_name,
                "Email": email,
                "TelNumber1": tel_number_1,
                "TelNumber2": tel_number_2,
                "DOB": dob,
                "Sex": sex,
                "Notes": notes,
                "ExtRef": ext_ref,
                "NotificationConsent": notification_consent,
                "IsActive": is_active,
                "CustomProperties": custom_properties,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.customer_custom_properties_type_0 import CustomerCustomPropertiesType0  # noqa: PLC0415

        d = dict(src_dict)
        customer_id = d.pop("CustomerId")

        def _parse_personal_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        personal_id = _parse_personal_id(d.pop("PersonalId"))

        def _parse_personal_id_type_id(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        personal_id_type_id = _parse_personal_id_type_id(d.pop("PersonalIdTypeId"))

        def _parse_personal_id_type_ext_ref(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        personal_id_type_ext_ref = _parse_personal_id_type_ext_ref(d.pop("PersonalIdTypeExtRef"))

        def _parse_first_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        first_name = _parse_first_name(d.pop("FirstName"))

        def _parse_last_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_name = _parse_last_name(d.pop("LastName"))

        def _parse_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        email = _parse_email(d.pop("Email"))

        def _parse_tel_number_1(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        tel_number_1 = _parse_tel_number_1(d.pop("TelNumber1"))

        def _parse_tel_number_2(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        tel_number_2 = _parse_tel_number_2(d.pop("TelNumber2"))

        def _parse_dob(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        dob = _parse_dob(d.pop("DOB"))

        def _parse_sex(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        sex = _parse_sex(d.pop("Sex"))

        def _parse_notes(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        notes = _parse_notes(d.pop("Notes"))

        def _parse_ext_ref(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        ext_ref = _parse_ext_ref(d.pop("ExtRef"))

        def _parse_notification_consent(data: object) -> bool | None:
            if data is None:
                return data
            return cast(bool | None, data)

        notification_consent = _parse_notification_consent(d.pop("NotificationConsent"))

        def _parse_is_active(data: object) -> bool | None:
            if data is None:
                return data
            return cast(bool | None, data)

        is_active = _parse_is_active(d.pop("IsActive"))

        def _parse_custom_properties(data: object) -> CustomerCustomPropertiesType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                custom_properties_type_0 = CustomerCustomPropertiesType0.from_dict(data)

                return custom_properties_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CustomerCustomPropertiesType0 | None, data)

        custom_properties = _parse_custom_properties(d.pop("CustomProperties"))

        customer = cls(
            customer_id=customer_id,
            personal_id=personal_id,
            personal_id_type_id=personal_id_type_id,
            personal_id_type_ext_ref=personal_id_type_ext_ref,
            first_name=first_name,
            last_name=last_name,
            email=email,
            tel_number_1=tel_number_1,
            tel_number_2=tel_number_2,
            dob=dob,
            sex=sex,
            notes=notes,
            ext_ref=ext_ref,
            notification_consent=notification_consent,
            is_active=is_active,
            custom_properties=custom_properties,
        )

        customer.additional_properties = d
        return customer

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
