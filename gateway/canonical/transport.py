"""Transport and places of a canonical declaration: means of transport, locations, route."""

from pydantic import BaseModel

from gateway.canonical.parties import Address
from gateway.canonical.values import CANONICAL_CONFIG, Text, element, group

NOT_IN_CDS = "a project extension, not in the UK CDS profile of the WCO Data Model"
"""How extensions outside the WCO DM profile describe their origin."""

_Address = Address


class BorderTransportMeans(BaseModel):
    """WCO DM class 15A BorderTransportMeans: the means of transport crossing the border."""

    model_config = CANONICAL_CONFIG

    Name: Text | None = element(
        "text", "T005", "Identification of means of transport crossing the border"
    )
    ID: Text | None = element(
        "id", "T006", "Identification of means of transport crossing the border, coded"
    )
    IdentificationTypeCode: Text | None = element(
        "code",
        "T018",
        "Type of identification of means of transport crossing the border, coded",
    )
    TypeCode: Text | None = element(
        "code", "T010", "Type of means of transport crossing the border, coded"
    )
    RegistrationNationalityCode: Text | None = element(
        "code", "T014", "Nationality of means of transport crossing the border, coded"
    )
    ModeCode: Text | None = element("code", "T022", "Mode of transport crossing the border, coded")


class ArrivalTransportMeans(BaseModel):
    """WCO DM class 10A ArrivalTransportMeans: the means of transport at arrival."""

    model_config = CANONICAL_CONFIG

    Name: Text | None = element("text", "T001", "Identification of means of transport at arrival")
    ID: Text | None = element(
        "id", "T002", "Identification of means of transport at arrival, coded"
    )
    IdentificationTypeCode: Text | None = element(
        "code", "T034", "Type of identification of means of transport at arrival, coded"
    )
    TypeCode: Text | None = element("code", "T008", "Type of means of transport at arrival, coded")
    ModeCode: Text | None = element("code", "T020", "Mode of transport at arrival, coded")


class DepartureTransportMeans(BaseModel):
    """WCO DM class 46A DepartureTransportMeans: the means of transport at departure."""

    model_config = CANONICAL_CONFIG

    Name: Text | None = element("text", "T003", "Identification of means of transport at departure")
    ID: Text | None = element(
        "id", "T004", "Identification of means of transport at departure, coded"
    )
    IdentificationTypeCode: Text | None = element(
        "code", "T029", "Type of identification of means of transport at departure, coded"
    )
    TypeCode: Text | None = element(
        "code", "T009", "Type of means of transport at departure, coded"
    )
    ModeCode: Text | None = element("code", "T021", "Mode of transport at departure, coded")


class GoodsLocation(BaseModel):
    """WCO DM class 64A GoodsLocation: where the goods can be examined."""

    model_config = CANONICAL_CONFIG

    Name: Text | None = element("text", "L016", "Location of goods")
    ID: Text | None = element("id", "L017", "Location of goods, coded")
    TypeCode: Text | None = element("code", "L110", "Location of goods type, coded")
    Address: _Address | None = group("04A", "Address")


class LoadingLocation(BaseModel):
    """WCO DM class 83A LoadingLocation: the place of loading."""

    model_config = CANONICAL_CONFIG

    Name: Text | None = element("text", "L009", "Place of loading")
    ID: Text | None = element("id", "L010", "Place of loading, coded")


class UnloadingLocation(BaseModel):
    """The place of unloading (a project extension)."""

    model_config = CANONICAL_CONFIG

    Name: Text | None = element(
        "text", None, None, f"Name of the place of unloading; {NOT_IN_CDS}."
    )
    ID: Text | None = element(
        "id", None, None, f"Code of the place of unloading (e.g. UN/LOCODE); {NOT_IN_CDS}."
    )


class Itinerary(BaseModel):
    """WCO DM class 81A Itinerary: a country the consignment passes through."""

    model_config = CANONICAL_CONFIG

    SequenceNumeric: int | None = element("integer", "006", "Sequence number")
    RoutingCountryCode: Text | None = element("code", "064", "Country(ies ) of routing, coded")


class TransportContractDocument(BaseModel):
    """A transport document: postal item identifier, house or master waybill (an extension)."""

    model_config = CANONICAL_CONFIG

    ID: Text | None = element(
        "id",
        None,
        None,
        "Number of the transport document: S10 postal item identifier, house or master "
        f"waybill number; {NOT_IN_CDS}.",
    )
    TypeCode: Text | None = element(
        "code", None, None, f"Type of the transport document, coded; {NOT_IN_CDS}."
    )
