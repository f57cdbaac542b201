"""E-commerce data of a canonical declaration (WCO E-Commerce Framework of Standards data set).

None of these elements is in the UK CDS profile of the WCO Data Model: they are project
extensions, with no WCO ID, carrying what platforms and payment providers know.
"""

from pydantic import BaseModel

from gateway.canonical.values import (
    CANONICAL_CONFIG,
    Amount,
    DateTimeText,
    Text,
    element,
    group,
)

ECOMMERCE_ORIGIN = (
    "from the WCO E-Commerce Framework of Standards data set; a project extension, not in the "
    "UK CDS profile of the WCO Data Model"
)
"""How e-commerce extensions describe their origin."""


class Platform(BaseModel):
    """The e-commerce platform (marketplace) the goods were sold on (an extension)."""

    model_config = CANONICAL_CONFIG

    ID: Text | None = element("id", None, None, f"Identifier of the platform; {ECOMMERCE_ORIGIN}.")
    Name: Text | None = element("text", None, None, f"Name of the platform; {ECOMMERCE_ORIGIN}.")
    URI: Text | None = element(
        "uri", None, None, f"Web address of the platform; {ECOMMERCE_ORIGIN}."
    )


class Order(BaseModel):
    """The e-commerce order the goods were bought with (an extension)."""

    model_config = CANONICAL_CONFIG

    ID: Text | None = element(
        "id", None, None, f"Order number on the platform; {ECOMMERCE_ORIGIN}."
    )
    IssueDateTime: DateTimeText | None = element(
        "datetime", None, None, f"When the order was placed; {ECOMMERCE_ORIGIN}."
    )


class Payment(BaseModel):
    """The payment of the e-commerce order (an extension)."""

    model_config = CANONICAL_CONFIG

    TransactionID: Text | None = element(
        "id", None, None, f"Payment transaction identifier; {ECOMMERCE_ORIGIN}."
    )
    PaidAmount: Amount | None = element(
        "amount", None, None, f"Amount paid by the buyer; {ECOMMERCE_ORIGIN}."
    )
    MethodCode: Text | None = element(
        "code", None, None, f"Payment method, coded; {ECOMMERCE_ORIGIN}."
    )
    ProviderName: Text | None = element(
        "text", None, None, f"Name of the payment provider; {ECOMMERCE_ORIGIN}."
    )


_Order = Order
_Payment = Payment
_Platform = Platform


class ECommerce(BaseModel):
    """E-commerce transaction data: platform, order and payment (an extension)."""

    model_config = CANONICAL_CONFIG

    Platform: _Platform | None = group(None, None, f"The selling platform; {ECOMMERCE_ORIGIN}.")
    Order: _Order | None = group(None, None, f"The order; {ECOMMERCE_ORIGIN}.")
    Payment: _Payment | None = group(None, None, f"The payment of the order; {ECOMMERCE_ORIGIN}.")
