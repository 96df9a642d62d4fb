from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.customer import Customer
from ...models.customer_update import CustomerUpdate
from ...models.customer_update_form import CustomerUpdateForm
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CustomerUpdate | CustomerUpdateForm | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/Customers",
    }

    if isinstance(body, CustomerUpdate):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, CustomerUpdateForm):
        _kwargs["data"] = body.to_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Customer | Error | None:
    try:
        if response.status_code == 200:
            response_200 = Customer.from_dict(response.json())

            return response_200

        if response.status_code == 400:
            response_400 = Error.from_dict(response.json())

            return response_400

        if response.status_code == 401:
            response_401 = Error.from_dict(response.json())

            return response_401

        if response.status_code == 404:
            response_404 = Error.from_dict(response.json())

            return response_404

        if response.status_code == 413:
            response_413 = Error.from_dict(response.json())

            return response_413

        if response.status_code == 415:
            response_415 = Error.from_dict(response.json())

            return response_415

    except (KeyError, TypeError, ValueError) as error:
        if client.raise_on_unexpected_status:
            raise errors.UnexpectedBody(response.status_code, response.content, error) from error
        return None
    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Customer | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CustomerUpdate | CustomerUpdateForm | Unset = UNSET,
) -> Response[Customer | Error]:
    """Update Existing customer record.

     From the vendor page: "Update Existing customer record. If Updating existing record, pass
    valid PersonalId". URI parameters: none. Body: a Customer record.

    Decision (contract rule 4), which record is updated: the one whose `CustomerId` is given,
    when it is greater than 0. Otherwise the one whose `PersonalId` matches within its
    customer-id type: the type `PersonalIdTypeId` when it is greater than 0, else the type
    whose external reference is `PersonalIdTypeExtRef` when that is not empty, else the type
    with the lowest id. A body with neither a positive `CustomerId` nor a `PersonalId` gets
    400; an identifier that matches no record gets 404.

    Decision (contract rule 5), what changes: a property that is absent or `null` is left as it
    is; a present value replaces the stored one, `false`, `0` and `""` included.
    `CustomProperties` merges key by key: a key sent replaces or adds that key, a key not
    sent is kept. The identity properties (`CustomerId`, `PersonalId`, `PersonalIdTypeId`,
    `PersonalIdTypeExtRef`) select the record and are never changed.

    Decision (contract rules 6, 7, 9): the 200 answer is the whole record as stored after the
    update, exactly what the next GET returns; strings read back exactly as sent; unknown
    properties in the body are ignored.

    Decision (contract rule 8): an invalid body changes nothing.

    Args:
        body (CustomerUpdate): Customer record, as sent to PATCH Customers (vendor page: "Customer
            record").
            Decision (contract rule 5): every property is optional and may be `null`; absent or `null`
            leaves the stored value as it is. Decision (contract rule 9): properties not listed here
            are ignored; integers are 32-bit. Lengths: the pages' limits come from .NET's
            DataAnnotations, which count UTF-16 code units, while `maxLength` here counts code points;
            a server may count either. Clients: count lengths in UTF-16 code units (a character
            outside the Basic Multilingual Plane counts twice), which every server accepts; a string
            over `maxLength` in code points is refused.
        body (CustomerUpdateForm): Customer record, as sent to PATCH Customers in an
            `application/x-www-form-urlencoded`
            body. Decision (contract rules 5, 10): the same properties as `CustomerUpdate`, one field
            each, `CustomProperties[key]=value` for each dictionary entry; integers in decimal,
            booleans `true` or `false`. A form field cannot be `null`: a property that is not sent is
            left as it is.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Customer | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: CustomerUpdate | CustomerUpdateForm | Unset = UNSET,
) -> Customer | Error | None:
    """Update Existing customer record.

     From the vendor page: "Update Existing customer record. If Updating existing record, pass
    valid PersonalId". URI parameters: none. Body: a Customer record.

    Decision (contract rule 4), which record is updated: the one whose `CustomerId` is given,
    when it is greater than 0. Otherwise the one whose `PersonalId` matches within its
    customer-id type: the type `PersonalIdTypeId` when it is greater than 0, else the type
    whose external reference is `PersonalIdTypeExtRef` when that is not empty, else the type
    with the lowest id. A body with neither a positive `CustomerId` nor a `PersonalId` gets
    400; an identifier that matches no record gets 404.

    Decision (contract rule 5), what changes: a property that is absent or `null` is left as it
    is; a present value replaces the stored one, `false`, `0` and `""` included.
    `CustomProperties` merges key by key: a key sent replaces or adds that key, a key not
    sent is kept. The identity properties (`CustomerId`, `PersonalId`, `PersonalIdTypeId`,
    `PersonalIdTypeExtRef`) select the record and are never changed.

    Decision (contract rules 6, 7, 9): the 200 answer is the whole record as stored after the
    update, exactly what the next GET returns; strings read back exactly as sent; unknown
    properties in the body are ignored.

    Decision (contract rule 8): an invalid body changes nothing.

    Args:
        body (CustomerUpdate): Customer record, as sent to PATCH Customers (vendor page: "Customer
            record").
            Decision (contract rule 5): every property is optional and may be `null`; absent or `null`
            leaves the stored value as it is. Decision (contract rule 9): properties not listed here
            are ignored; integers are 32-bit. Lengths: the pages' limits come from .NET's
            DataAnnotations, which count UTF-16 code units, while `maxLength` here counts code points;
            a server may count either. Clients: count lengths in UTF-16 code units (a character
            outside the Basic Multilingual Plane counts twice), which every server accepts; a string
            over `maxLength` in code points is refused.
        body (CustomerUpdateForm): Customer record, as sent to PATCH Customers in an
            `application/x-www-form-urlencoded`
            body. Decision (contract rules 5, 10): the same properties as `CustomerUpdate`, one field
            each, `CustomProperties[key]=value` for each dictionary entry; integers in decimal,
            booleans `true` or `false`. A form field cannot be `null`: a property that is not sent is
            left as it is.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Customer | Error
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CustomerUpdate | CustomerUpdateForm | Unset = UNSET,
) -> Response[Customer | Error]:
    """Update Existing customer record.

     From the vendor page: "Update Existing customer record. If Updating existing record, pass
    valid PersonalId". URI parameters: none. Body: a Customer record.

    Decision (contract rule 4), which record is updated: the one whose `CustomerId` is given,
    when it is greater than 0. Otherwise the one whose `PersonalId` matches within its
    customer-id type: the type `PersonalIdTypeId` when it is greater than 0, else the type
    whose external reference is `PersonalIdTypeExtRef` when that is not empty, else the type
    with the lowest id. A body with neither a positive `CustomerId` nor a `PersonalId` gets
    400; an identifier that matches no record gets 404.

    Decision (contract rule 5), what changes: a property that is absent or `null` is left as it
    is; a present value replaces the stored one, `false`, `0` and `""` included.
    `CustomProperties` merges key by key: a key sent replaces or adds that key, a key not
    sent is kept. The identity properties (`CustomerId`, `PersonalId`, `PersonalIdTypeId`,
    `PersonalIdTypeExtRef`) select the record and are never changed.

    Decision (contract rules 6, 7, 9): the 200 answer is the whole record as stored after the
    update, exactly what the next GET returns; strings read back exactly as sent; unknown
    properties in the body are ignored.

    Decision (contract rule 8): an invalid body changes nothing.

    Args:
        body (CustomerUpdate): Customer record, as sent to PATCH Customers (vendor page: "Customer
            record").
            Decision (contract rule 5): every property is optional and may be `null`; absent or `null`
            leaves the stored value as it is. Decision (contract rule 9): properties not listed here
            are ignored; integers are 32-bit. Lengths: the pages' limits come from .NET's
            DataAnnotations, which count UTF-16 code units, while `maxLength` here counts code points;
            a server may count either. Clients: count lengths in UTF-16 code units (a character
            outside the Basic Multilingual Plane counts twice), which every server accepts; a string
            over `maxLength` in code points is refused.
        body (CustomerUpdateForm): Customer record, as sent to PATCH Customers in an
            `application/x-www-form-urlencoded`
            body. Decision (contract rules 5, 10): the same properties as `CustomerUpdate`, one field
            each, `CustomProperties[key]=value` for each dictionary entry; integers in decimal,
            booleans `true` or `false`. A form field cannot be `null`: a property that is not sent is
            left as it is.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Customer | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: CustomerUpdate | CustomerUpdateForm | Unset = UNSET,
) -> Customer | Error | None:
    """Update Existing customer record.

     From the vendor page: "Update Existing customer record. If Updating existing record, pass
    valid PersonalId". URI parameters: none. Body: a Customer record.

    Decision (contract rule 4), which record is updated: the one whose `CustomerId` is given,
    when it is greater than 0. Otherwise the one whose `PersonalId` matches within its
    customer-id type: the type `PersonalIdTypeId` when it is greater than 0, else the type
    whose external reference is `PersonalIdTypeExtRef` when that is not empty, else the type
    with the lowest id. A body with neither a positive `CustomerId` nor a `PersonalId` gets
    400; an identifier that matches no record gets 404.

    Decision (contract rule 5), what changes: a property that is absent or `null` is left as it
    is; a present value replaces the stored one, `false`, `0` and `""` included.
    `CustomProperties` merges key by key: a key sent replaces or adds that key, a key not
    sent is kept. The identity properties (`CustomerId`, `PersonalId`, `PersonalIdTypeId`,
    `PersonalIdTypeExtRef`) select the record and are never changed.

    Decision (contract rules 6, 7, 9): the 200 answer is the whole record as stored after the
    update, exactly what the next GET returns; strings read back exactly as sent; unknown
    properties in the body are ignored.

    Decision (contract rule 8): an invalid body changes nothing.

    Args:
        body (CustomerUpdate): Customer record, as sent to PATCH Customers (vendor page: "Customer
            record").
            Decision (contract rule 5): every property is optional and may be `null`; absent or `null`
            leaves the stored value as it is. Decision (contract rule 9): properties not listed here
            are ignored; integers are 32-bit. Lengths: the pages' limits come from .NET's
            DataAnnotations, which count UTF-16 code units, while `maxLength` here counts code points;
            a server may count either. Clients: count lengths in UTF-16 code units (a character
            outside the Basic Multilingual Plane counts twice), which every server accepts; a string
            over `maxLength` in code points is refused.
        body (CustomerUpdateForm): Customer record, as sent to PATCH Customers in an
            `application/x-www-form-urlencoded`
            body. Decision (contract rules 5, 10): the same properties as `CustomerUpdate`, one field
            each, `CustomProperties[key]=value` for each dictionary entry; integers in decimal,
            booleans `true` or `false`. A form field cannot be `null`: a property that is not sent is
            left as it is.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Customer | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
