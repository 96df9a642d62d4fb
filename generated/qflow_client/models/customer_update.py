from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.customer_update_custom_properties_type_0 import CustomerUpdateCustomPropertiesType0


T = TypeVar("T", bound="CustomerUpdate")


@_attrs_define
class CustomerUpdate:
    """Customer record, as sent to PATCH Customers (vendor page: "Customer record").
    Decision (contract rule 5): every property is optional and may be `null`; absent or `null`
    leaves the stored value as it is. Decision (contract rule 9): properties not listed here
    are ignored; integers are 32-bit. Lengths: the pages' limits come from .NET's
    DataAnnotations, which count UTF-16 code units, while `maxLength` here counts code points;
    a server may count either. Clients: count lengths in UTF-16 code units (a character
    outside the Basic Multilingual Plane counts twice), which every server accepts; a string
    over `maxLength` in code points is refused.

        Attributes:
            customer_id (int | Unset): QFlow Customer Id. Decision (contract rule 4): when greater than 0, selects the
                record
                to update. Decision (contract rule 9): it is a .NET `int`, not nullable: ASP.NET's model
                binding refuses `"CustomerId": null` with 400 ("Error converting value {null} to type
                'System.Int32'"), so leave it out, or send 0, to select by PersonalId. A server may
                instead read `null` as absent.
            personal_id (None | str | Unset): Vendor's Customer identifier. Decision (contract rule 4): selects the record
                within its
                customer-id type when `CustomerId` is not greater than 0; never changed by PATCH.
            personal_id_type_id (int | None | Unset): Vendor's Customer identifier Type (QFlow CustomerIdTypeId). 0 =none,
                null=first
                available. Decision (contract rule 4): when greater than 0, the customer-id type in which
                `PersonalId` is looked up; never changed by PATCH.
            personal_id_type_ext_ref (None | str | Unset): The vendor page gives no description. Decision (contract rule 4):
                the external reference
                of the customer-id type in which `PersonalId` is looked up, when `PersonalIdTypeId`
                is not greater than 0; never changed by PATCH.
            first_name (None | str | Unset): First Name
            last_name (None | str | Unset): Last Name
            email (None | str | Unset): Email address. The vendor's table drops this row's name; its JSON samples show it is
                `Email`. Decision (contract rule 9): no e-mail format is enforced, as the page states none.
            tel_number_1 (None | str | Unset): Phone Number 1
            tel_number_2 (None | str | Unset): Phone Number 2
            dob (datetime.datetime | None | Unset): Date of Birth (vendor page: type date). Decision (contract rule 1): in a
                request, an
                RFC 3339 date-time with its offset; a server may accept other date forms too. The
                calendar date is the value: it reads back with the same date that was sent in the
                offset the server writes back. ASP.NET's Json.NET converts a date-time sent in
                another offset to the server's local time (the same instant, possibly another date).
                Clients: send DOB in the offset the server writes DOB with (`+10:00` in the vendor's
                samples).
            sex (int | None | Unset): 0=Unknown; 1=Male; 2=Female. Vendor page: type byte, "Range: inclusive between 0
                and 2".
            notes (None | str | Unset): Notes
            ext_ref (None | str | Unset): Custom External Reference
            notification_consent (bool | None | Unset): The vendor page gives no description. Decision (contract rule 5):
                `false` is a value and
                replaces the stored one.
            is_active (bool | None | Unset): Is customer record enabled
            custom_properties (CustomerUpdateCustomPropertiesType0 | None | Unset): Collection of all custom properties for
                this customer (vendor page: Dictionary of
                string [key] and string [value]). Decision (contract rules 5, 10): merged key by key,
                keys not sent are kept; in a form body, one field `CustomProperties[key]=value` per
                entry.
    """

    customer_id: int | Unset = UNSET
    personal_id: None | str | Unset = UNSET
    personal_id_type_id: int | None | Unset = UNSET
    personal_id_type_ext_ref: None | str | Unset = UNSET
    first_name: None | str | Unset = UNSET
    last_name: None | str | Unset = UNSET
    email: None | str | Unset = UNSET
    tel_number_1: None | str | Unset = UNSET
    tel_number_2: None | str | Unset = UNSET
    dob: datetime.datetime | None | Unset = UNSET
    sex: int | None | Unset = UNSET
    notes: None | str | Unset = UNSET
    ext_ref: None | str | Unset = UNSET
    notification_consent: bool | None | Unset = UNSET
    is_active: bool | None | Unset = UNSET
    custom_properties: CustomerUpdateCustomPropertiesType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.customer_update_custom_properties_type_0 import CustomerUpdateCustomPropertiesType0  # noqa: PLC0415

        customer_id = self.customer_id

        personal_id: None | str | Unset
        if isinstance(self.personal_id, Unset):
            personal_id = UNSET
        else:
            personal_id = self.personal_id

        personal_id_type_id: int | None | Unset
        if isinstance(self.personal_id_type_id, Unset):
            personal_id_type_id = UNSET
        else:
            personal_id_type_id = self.personal_id_type_id

        personal_id_type_ext_ref: None | str | Unset
        if isinstance(self.personal_id_type_ext_ref, Unset):
            personal_id_type_ext_ref = UNSET
        else:
            personal_id_type_ext_ref = self.personal_id_type_ext_ref

        first_name: None | str | Unset
        if isinstance(self.first_name, Unset):
            first_name = UNSET
        else:
            first_name = self.first_name

        last_name: None | str | Unset
        if isinstance(self.last_name, Unset):
            last_name = UNSET
        else:
            last_name = self.last_name

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        tel_number_1: None | str | Unset
        if isinstance(self.tel_number_1, Unset):
            tel_number_1 = UNSET
        else:
            tel_number_1 = self.tel_number_1

        tel_number_2: None | str | Unset
        if isinstance(self.tel_number_2, Unset):
            tel_number_2 = UNSET
        else:
            tel_number_2 = self.tel_number_2

        dob: None | str | Unset
        if isinstance(self.dob, Unset):
            dob = UNSET
        elif isinstance(self.dob, datetime.datetime):
            dob = self.dob.isoformat()
        else:
            dob = self.dob

        sex: int | None | Unset
        if isinstance(self.sex, Unset):
            sex = UNSET
        else:
            sex = self.sex

        notes: None | str | Unset
        if isinstance(self.notes, Unset):
            notes = UNSET
        else:
            notes = self.notes

        ext_ref: None | str | Unset
        if isinstance(self.ext_ref, Unset):
            ext_ref = UNSET
        else:
            ext_ref = self.ext_ref

        notification_consent: bool | None | Unset
        if isinstance(self.notification_consent, Unset):
            notification_consent = UNSET
        else:
            notification_consent = self.notification_consent

        is_active: bool | None | Unset
        if isinstance(self.is_active, Unset):
            is_active = UNSET
        else:
            is_active = self.is_active

        custom_properties: dict[str, Any] | None | Unset
        if isinstance(self.custom_properties, Unset):
            custom_properties = UNSET
        elif isinstance(self.custom_properties, CustomerUpdateCustomPropertiesType0):
            custom_properties = self.custom_properties.to_dict()
        else:
            custom_properties = self.custom_properties

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if customer_id is not UNSET:
            field_dict["CustomerId"] = customer_id
        if personal_id is not UNSET:
            field_dict["PersonalId"] = personal_id
        if personal_id_type_id is not UNSET:
            field_dict["PersonalIdTypeId"] = personal_id_type_id
        if personal_id_type_ext_ref is not UNSET:
            field_dict["PersonalIdTypeExtRef"] = personal_id_type_ext_ref
        if first_name is not UNSET:
            field_dict["FirstName"] = first_name
        if last_name is not UNSET:
            field_dict["LastName"] = last_name
        if email is not UNSET:
            field_dict["Email"] = email
        if tel_number_1 is not UNSET:
            field_dict["TelNumber1"] = tel_number_1
        if tel_number_2 is not UNSET:
            field_dict["TelNumber2"] = tel_number_2
        if dob is not UNSET:
            field_dict["DOB"] = dob
        if sex is not UNSET:
            field_dict["Sex"] = sex
        if notes is not UNSET:
            field_dict["Notes"] = notes
        if ext_ref is not UNSET:
            field_dict["ExtRef"] = ext_ref
        if notification_consent is not UNSET:
            field_dict["NotificationConsent"] = notification_consent
        if is_active is not UNSET:
            field_dict["IsActive"] = is_active
        if custom_properties is not UNSET:
            field_dict["CustomProperties"] = custom_properties

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.customer_update_custom_properties_type_0 import CustomerUpdateCustomPropertiesType0  # noqa: PLC0415

        d = dict(src_dict)
        customer_id = d.pop("CustomerId", UNSET)

        def _parse_personal_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        personal_id = _parse_personal_id(d.pop("PersonalId", UNSET))

        def _parse_personal_id_type_id(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        personal_id_type_id = _parse_personal_id_type_id(d.pop("PersonalIdTypeId", UNSET))

        def _parse_personal_id_type_ext_ref(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        personal_id_type_ext_ref = _parse_personal_id_type_ext_ref(d.pop("PersonalIdTypeExtRef", UNSET))

        def _parse_first_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        first_name = _parse_first_name(d.pop("FirstName", UNSET))

        def _parse_last_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_name = _parse_last_name(d.pop("LastName", UNSET))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("Email", UNSET))

        def _parse_tel_number_1(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tel_number_1 = _parse_tel_number_1(d.pop("TelNumber1", UNSET))

        def _parse_tel_number_2(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tel_number_2 = _parse_tel_number_2(d.pop("TelNumber2", UNSET))

        def _parse_dob(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                dob_type_0 = datetime.datetime.fromisoformat(data)

                return dob_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        dob = _parse_dob(d.pop("DOB", UNSET))

        def _parse_sex(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        sex = _parse_sex(d.pop("Sex", UNSET))

        def _parse_notes(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        notes = _parse_notes(d.pop("Notes", UNSET))

        def _parse_ext_ref(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ext_ref = _parse_ext_ref(d.pop("ExtRef", UNSET))

        def _parse_notification_consent(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        notification_consent = _parse_notification_consent(d.pop("NotificationConsent", UNSET))

        def _parse_is_active(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        is_active = _parse_is_active(d.pop("IsActive", UNSET))

        def _parse_custom_properties(data: object) -> CustomerUpdateCustomPropertiesType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                custom_properties_type_0 = CustomerUpdateCustomPropertiesType0.from_dict(data)

                return custom_properties_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CustomerUpdateCustomPropertiesType0 | None | Unset, data)

        custom_properties = _parse_custom_properties(d.pop("CustomProperties", UNSET))

        customer_update = cls(
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

        customer_update.additional_properties = d
        return customer_update

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
