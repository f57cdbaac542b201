"""Parties of a canonical declaration: the shared party structure and one class per WCO role.

Every party class has the same elements (Name, ID, Address, Contact, Communication); only the
WCO DM IDs of Name and ID differ per role, so each role overrides those two fields.
"""

from pydantic import BaseModel

from gateway.canonical.values import CANONICAL_CONFIG, Text, element, group

_CONTACT_NAME = "Department or employee – Contact name"


class Address(BaseModel):
    """WCO DM class 04A Address: where a party or a location is."""

    model_config = CANONICAL_CONFIG

    Line: Text | None = element("text", "239", "Street and number/P.O. Box")
    CityName: Text | None = element("text", "241", "City name")
    PostcodeID: Text | None = element("id", "245", "Postcode identification")
    CountrySubDivisionCode: Text | None = element(
        "code", "244", "Country sub-entity identification"
    )
    CountrySubDivisionName: Text | None = element("text", "243", "Country sub-entity name")
    CountryCode: Text | None = element("code", "242", "Country, coded")
    TypeCode: Text | None = element("code", "410", "Type of address")


class Contact(BaseModel):
    """WCO DM class 34A Contact: the person to ask at a party."""

    model_config = CANONICAL_CONFIG

    Name: Text | None = element("text", "246", _CONTACT_NAME)


class Communication(BaseModel):
    """WCO DM class 25A Communication: a phone number (TE) or e-mail address (EM) of a party."""

    model_config = CANONICAL_CONFIG

    ID: Text | None = element("id", "240", "Communication number")
    TypeCode: Text | None = element(
        "code",
        "253",
        "Communication number type",
        "WCO DM 253: Communication number type (TE telephone, EM e-mail).",
    )


# A field may not be annotated with a class of its own name (the class body rebinds the name
# first), so fields named after their class use these aliases.
_Address = Address
_Contact = Contact
_Communication = Communication


class Party(BaseModel):
    """The structure every party role shares; use a role class (Consignor, Importer, ...)."""

    model_config = CANONICAL_CONFIG

    Name: Text | None = element("text", None, None, "Name of the party.")
    ID: Text | None = element("id", None, None, "Identifier of the party (e.g. EORI).")
    Address: _Address | None = group("04A", "Address")
    Contact: _Contact | None = group("34A", "Contact")
    Communication: list[_Communication] = group("25A", "Communication", repeating=True)


class Agent(Party):
    """WCO DM class 05A Agent: who acts for the declarant."""

    Name: Text | None = element("text", "R003", "Agent - name")
    ID: Text | None = element("id", "R004", "Agent, coded")
    FunctionCode: Text | None = element("code", "102", "Agent status, coded")


class Carrier(Party):
    """WCO DM class 18A Carrier: who undertakes or arranges the transport."""

    Name: Text | None = element("text", "R011", "Carrier - name")
    ID: Text | None = element("id", "R012", "Carrier identification")


class Declarant(Party):
    """WCO DM class 57B Declarant: who lodges the declaration."""

    Name: Text | None = element("text", "R124", "Declarant name")
    ID: Text | None = element("id", "R123", "Declarant, coded")


class Exporter(Party):
    """WCO DM class 57A Exporter."""

    Name: Text | None = element("text", "R031", "Exporter - name")
    ID: Text | None = element("id", "R032", "Exporter, coded")


class Buyer(Party):
    """WCO DM class 16A Buyer."""

    Name: Text | None = element("text", "R009", "Buyer - name")
    ID: Text | None = element("id", "R010", "Buyer, coded")


class Consignee(Party):
    """WCO DM class 27A Consignee: who receives the goods."""

    Name: Text | None = element("text", "R014", "Consignee name")
    ID: Text | None = element("id", "R015", "Consignee, coded")


class Consignor(Party):
    """WCO DM class 30A Consignor: who sends the goods."""

    Name: Text | None = element("text", "R020", "Consignor - name")
    ID: Text | None = element("id", "R021", "Consignor, coded")


class Importer(Party):
    """WCO DM class 74A Importer."""

    Name: Text | None = element("text", "R037", "Importer - name")
    ID: Text | None = element("id", "R038", "Importer, coded")


class Seller(Party):
    """WCO DM class 09B Seller."""

    Name: Text | None = element("text", "R050", "Seller - name")
    ID: Text | None = element("id", "R051", "Seller, coded")
