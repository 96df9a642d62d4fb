from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.customer import Customer
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    id_type: int | Unset = 0,
    id_type_ext_ref: str | Unset = "",
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["idType"] = id_type

    params["idTypeExtRef"] = id_type_ext_ref

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/Customers/{id}".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

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
    id: str,
    *,
    client: AuthenticatedClient | Client,
    id_type: int | Unset = 0,
    id_type_ext_ref: str | Unset = "",
) -> Response[Customer | Error]:
    """Read one customer record.

     From the vendor page: `GET Customers/{id}?idType={idType}&idTypeExtRef={idTypeExtRef}`;
    body parameters: none; the answer is a Customer.

    Decision (contract rule 3), how `id` is read: a non-empty `idTypeExtRef` means `id` is a
    PersonalId within the customer-id type with that external reference; otherwise
    `idType` greater than 0 means `id` is a PersonalId within the type with that id;
    otherwise (`idType` 0, the default, or less) `id` is the QFlow CustomerId. Two customers
    may share a PersonalId under different types. No match gets 404, and so does an `id`
    that is not a CustomerId in that mode (for example `abc`). A malformed parameter
    (`idType=abc`, `idType=` empty, or an `idType` outside 32 bits) gets 400; a server may
    instead read it as the default 0, as ASP.NET's model binding does (leniency, contract
    rule 14). Clients: send `idType` as a 32-bit integer. An empty `idTypeExtRef=` is the
    documented default, which a generated client sends: a server must not refuse it.

    Args:
        id (str):
        id_type (int | Unset):  Default: 0.
        id_type_ext_ref (str | Unset):  Default: ''.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Customer | Error]
    """

    kwargs = _get_kwargs(
        id=id,
        id_type=id_type,
        id_type_ext_ref=id_type_ext_ref,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    id_type: int | Unset = 0,
    id_type_ext_ref: str | Unset = "",
) -> Customer | Error | None:
    """Read one customer record.

     From the vendor page: `GET Customers/{id}?idType={idType}&idTypeExtRef={idTypeExtRef}`;
    body parameters: none; the answer is a Customer.

    Decision (contract rule 3), how `id` is read: a non-empty `idTypeExtRef` means `id` is a
    PersonalId within the customer-id type with that external reference; otherwise
    `idType` greater than 0 means `id` is a PersonalId within the type with that id;
    otherwise (`idType` 0, the default, or less) `id` is the QFlow CustomerId. Two customers
    may share a PersonalId under different types. No match gets 404, and so does an `id`
    that is not a CustomerId in that mode (for example `abc`). A malformed parameter
    (`idType=abc`, `idType=` empty, or an `idType` outside 32 bits) gets 400; a server may
    instead read it as the default 0, as ASP.NET's model binding does (leniency, contract
    rule 14). Clients: send `idType` as a 32-bit integer. An empty `idTypeExtRef=` is the
    documented default, which a generated client sends: a server must not refuse it.

    Args:
        id (str):
        id_type (int | Unset):  Default: 0.
        id_type_ext_ref (str | Unset):  Default: ''.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Customer | Error
    """

    return sync_detailed(
        id=id,
        client=client,
        id_type=id_type,
        id_type_ext_ref=id_type_ext_ref,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    id_type: int | Unset = 0,
    id_type_ext_ref: str | Unset = "",
) -> Response[Customer | Error]:
    """Read one customer record.

     From the vendor page: `GET Customers/{id}?idType={idType}&idTypeExtRef={idTypeExtRef}`;
    body parameters: none; the answer is a Customer.

    Decision (contract rule 3), how `id` is read: a non-empty `idTypeExtRef` means `id` is a
    PersonalId within the customer-id type with that external reference; otherwise
    `idType` greater than 0 means `id` is a PersonalId within the type with that id;
    otherwise (`idType` 0, the default, or less) `id` is the QFlow CustomerId. Two customers
    may share a PersonalId under different types. No match gets 404, and so does an `id`
    that is not a CustomerId in that mode (for example `abc`). A malformed parameter
    (`idType=abc`, `idType=` empty, or an `idType` outside 32 bits) gets 400; a server may
    instead read it as the default 0, as ASP.NET's model binding does (leniency, contract
    rule 14). Clients: send `idType` as a 32-bit integer. An empty `idTypeExtRef=` is the
    documented default, which a generated client sends: a server must not refuse it.

    Args:
        id (str):
        id_type (int | Unset):  Default: 0.
        id_type_ext_ref (str | Unset):  Default: ''.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Customer | Error]
    """

    kwargs = _get_kwargs(
        id=id,
        id_type=id_type,
        id_type_ext_ref=id_type_ext_ref,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    id_type: int | Unset = 0,
    id_type_ext_ref: str | Unset = "",
) -> Customer | Error | None:
    """Read one customer record.

     From the vendor page: `GET Customers/{id}?idType={idType}&idTypeExtRef={idTypeExtRef}`;
    body parameters: none; the answer is a Customer.

    Decision (contract rule 3), how `id` is read: a non-empty `idTypeExtRef` means `id` is a
    PersonalId within the customer-id type with that external reference; otherwise
    `idType` greater than 0 means `id` is a PersonalId within the type with that id;
    otherwise (`idType` 0, the default, or less) `id` is the QFlow CustomerId. Two customers
    may share a PersonalId under different types. No match gets 404, and so does an `id`
    that is not a CustomerId in that mode (for example `abc`). A malformed parameter
    (`idType=abc`, `idType=` empty, or an `idType` outside 32 bits) gets 400; a server may
    instead read it as the default 0, as ASP.NET's model binding does (leniency, contract
    rule 14). Clients: send `idType` as a 32-bit integer. An empty `idTypeExtRef=` is the
    documented default, which a generated client sends: a server must not refuse it.

    Args:
        id (str):
        id_type (int | Unset):  Default: 0.
        id_type_ext_ref (str | Unset):  Default: ''.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Customer | Error
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            id_type=id_type,
            id_type_ext_ref=id_type_ext_ref,
        )
    ).parsed
