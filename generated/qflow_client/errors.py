"""Contains shared errors types that can be raised from API functions"""


class UnexpectedStatus(Exception):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{content.decode(errors='ignore')}"
        )


class UnexpectedBody(UnexpectedStatus):
    """Raised by api functions when a documented status comes with a body the OpenAPI document does not
    describe (not JSON, or not the documented schema) and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes, reason: Exception):
        self.reason = reason
        Exception.__init__(
            self,
            f"Unexpected body with status code {status_code} ({type(reason).__name__}: {reason})"
            f"\n\nResponse content:\n{content.decode(errors='ignore')}",
        )
        self.status_code = status_code
        self.content = content


__all__ = ["UnexpectedStatus", "UnexpectedBody"]
