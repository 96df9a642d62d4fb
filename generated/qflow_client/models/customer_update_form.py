from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.customer_update_form_custom_properties import CustomerUpdateFormCustomProperties


T = TypeVar("T", bound="CustomerUpdateForm")


@_attrs_define
class CustomerUpdateForm:
    """Customer record, as sent to PATCH Customers in an `application/x-www-form-urlencoded`
    body. Decision (contract rules 5, 10): the same properties as `CustomerUpdate`, one field
    each, `CustomProperties[key]=value` for each dictionary entry (or MVC's indexed form,
    `CustomProperties[0].Key=k&CustomProperties[0].Value=v`, which this schema cannot
    describe); integers in decimal, booleans `true` or `false`. A form field cannot be
    `null`: a property that is not sent, or sent empty or blank, is left as it is.

        Attributes:
            customer_id (int | Unset): QFlow Customer Id. Decision (contract rule 4): when greater than 0, selects the
                record
                to update.
            personal_id (str | Unset): Vendor's Customer identifier. Decision (contract rule 4): selects the record within
                its
                customer-id type when `CustomerId` is not greater than 0; never changed by PATCH.
            personal_id_type_id (int | Unset): Vendor's Customer identifier Type (QFlow CustomerIdTypeId). 0 =none,
                null=first
                available. Decision (contract rule 4): when greater than 0, the customer-id type in which
                `PersonalId` is looked up; never changed by PATCH.
            personal_id_type_ext_ref (str | Unset): The vendor page gives no description. Decision (contract rule 4): the
                external reference
                of the customer-id type in which `PersonalId` is looked up, when `PersonalIdTypeId`
                is not greater than 0; never changed by PATCH.
            first_name (str | Unset): First Name
            last_name (str | Unset): Last Name
            email (str | Unset): Email address. The vendor's table drops this row's name; its JSON samples show it is
                `Email`. Decision (contract rule 9): no e-mail format is enforced, as the page states none.
            tel_number_1 (str | Unset): Phone Number 1
            tel_number_2 (str | Unset): Phone Number 2
            dob (datetime.datetime | Unset): Date of Birth (vendor page: type date). Decision (contract rule 1): in a
                request, an
                RFC 3339 date-time with its offset; a server may accept other date forms too. The
                calendar date is the value: it reads back with the same date that was sent in the
                offset the server writes back. ASP.NET's Json.NET converts a date-time sent in
                another offset to the server's local time (the same instant, possibly another date).
                Clients: send DOB in the offset the server writes DOB with (`+10:00` in the vendor's
                samples).
            sex (int | Unset): 0=Unknown; 1=Male; 2=Female. Vendor page: type byte, "Range: inclusive between 0
                and 2".
            notes (str | Unset): Notes
            ext_ref (str | Unset): Custom External Reference
            notification_consent (bool | Unset): The vendor page gives no description. Decision (contract rule 5): `false`
                is a value and
                replaces the stored one.
            is_active (bool | Unset): Is customer record enabled
            custom_properties (CustomerUpdateFormCustomProperties | Unset): Collection of all custom properties for this
                customer (vendor page: Dictionary of
                string [key] and string [value]). Decision (contract rules 5, 10): merged key by key,
                keys not sent are kept; in a form body, one field `CustomProperties[key]=value` per
                entry.
    """

    customer_id: int | Unset = UNSET
    personal_id: str | Unset = UNSET
    personal_id_type_id: int | Unset = UNSET
    personal_id_type_ext_ref: str | Unset = UNSET
    first_name: str | Unset = UNSET
    last_name: str | Unset = UNSET
    email: str | Unset = UNSET
    tel_number_1: str | Unset = UNSET
    tel_number_2: str | Unset = UNSET
    dob: datetime.datetime | Unset = UNSET
    sex: int | Unset = UNSET
    notes: str | Unset = UNSET
    ext_ref: str | Unset = UNSET
    notification_consent: bool | Unset = UNSET
    is_active: bool | Unset = UNSET
    custom_properties: CustomerUpdateFormCustomProperties | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        customer_id = self.customer_id

        personal_id = self.personal_id

        personal_id_type_id = self.personal_id_type_id

        personal_id_type_ext_ref = self.personal_id_type_ext_ref

        first_name = self.first_name

        last_name = self.last_name

        email = self.email

        tel_number_1 = self.tel_number_1

        tel_number_2 = self.tel_number_2

        dob: str | Unset = UNSET
        if not isinstance(self.dob, Unset):
            dob = self.dob.isoformat()

        sex = self.sex

        notes = self.notes

        ext_ref = self.ext_ref

        notification_consent = self.notification_consent

        is_active = self.is_active

        custom_properties: dict[str, Any] | Unset = UNSET
        if not isinstance(self.custom_properties, Unset):
            custom_properties = self.custom_properties.to_dict()

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
        from ..models.customer_update_form_custom_properties import CustomerUpdateFormCustomProperties  # noqa: PLC0415

        d = dict(src_dict)
        customer_id = d.pop("CustomerId", UNSET)

        personal_id = d.pop("PersonalId", UNSET)

        personal_id_type_id = d.pop("PersonalIdTypeId", UNSET)

        personal_id_type_ext_ref = d.pop("PersonalIdTypeExtRef", UNSET)

        first_name = d.pop("FirstName", UNSET)

        last_name = d.pop("LastName", UNSET)

        email = d.pop("Email", UNSET)

        tel_number_1 = d.pop("TelNumber1", UNSET)

        tel_number_2 = d.pop("TelNumber2", UNSET)

        _dob = d.pop("DOB", UNSET)
        dob: datetime.datetime | Unset
        if isinstance(_dob, Unset):
            dob = UNSET
        else:
            dob = datetime.datetime.fromisoformat(_dob)

        sex = d.pop("Sex", UNSET)

        notes = d.pop("Notes", UNSET)

        ext_ref = d.pop("ExtRef", UNSET)

        notification_consent = d.pop("NotificationConsent", UNSET)

        is_active = d.pop("IsActive", UNSET)

        _custom_properties = d.pop("CustomProperties", UNSET)
        custom_properties: CustomerUpdateFormCustomProperties | Unset
        if isinstance(_custom_properties, Unset):
            custom_properties = UNSET
        else:
            custom_properties = CustomerUpdateFormCustomProperties.from_dict(_custom_properties)

        customer_update_form = cls(
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

        customer_update_form.additional_properties = d
        return customer_update_form

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
