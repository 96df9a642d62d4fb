"""Contains all the data models used in inputs/outputs"""

from .customer import Customer
from .customer_custom_properties_type_0 import CustomerCustomPropertiesType0
from .customer_update import CustomerUpdate
from .customer_update_custom_properties_type_0 import CustomerUpdateCustomPropertiesType0
from .customer_update_form import CustomerUpdateForm
from .customer_update_form_custom_properties import CustomerUpdateFormCustomProperties
from .error import Error
from .error_model_state import ErrorModelState

__all__ = (
    "Customer",
    "CustomerCustomPropertiesType0",
    "CustomerUpdate",
    "CustomerUpdateCustomPropertiesType0",
    "CustomerUpdateForm",
    "CustomerUpdateFormCustomProperties",
    "Error",
    "ErrorModelState",
)
