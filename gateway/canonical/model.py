"""The canonical declaration: pydantic models named after WCO Data Model classes and elements.

Field names are the WCO DM XML element names; they are also the canonical XML element names
(namespace ``CANONICAL_NS``), the JSON keys and the steps of canonical paths such as
``GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description``. Field order is the element
order of the canonical XML. Each field records its WCO DM ID and name (see ``values.element``);
project extensions have no WCO ID and say where they come from.

A field may not be annotated with a class of its own name (the class body rebinds the name
before the annotation is read), so such fields use the ``_Name`` aliases defined beside each
class.
"""

from pydantic import BaseModel, Field

from gateway.canonical.ecommerce import ECOMMERCE_ORIGIN, ECommerce, Order, Payment, Platform
from gateway.canonical.parties import (
    Address,
    Agent,
    Buyer,
    Carrier,
    Communication,
    Consignee,
    Consignor,
    Contact,
    Declarant,
    Exporter,
    Importer,
    Party,
    Seller,
)
from gateway.canonical.transport import (
    NOT_IN_CDS,
    ArrivalTransportMeans,
    BorderTransportMeans,
    DepartureTransportMeans,
    GoodsLocation,
    Itinerary,
    LoadingLocation,
    TransportContractDocument,
    UnloadingLocation,
)
from gateway.canonical.values import (
    CANONICAL_CONFIG,
    Amount,
    DateTimeText,
    DecimalValue,
    Measure,
    Text,
    element,
    group,
)

__all__ = [
    "DECLARATION_WCO_ID",
    "UCR",
    "AdditionalDocument",
    "AdditionalInformation",
    "Address",
    "Agent",
    "Amount",
    "ArrivalTransportMeans",
    "BorderTransportMeans",
    "Buyer",
    "Carrier",
    "Classification",
    "Commodity",
    "Communication",
    "Consignee",
    "Consignment",
    "Consignor",
    "Contact",
    "CustomsValuation",
    "Declarant",
    "Declaration",
    "DeclarationBatch",
    "DepartureTransportMeans",
    "Destination",
    "DomesticDutyTaxParty",
    "ECommerce",
    "ExportCountry",
    "Exporter",
    "GoodsLocation",
    "GoodsMeasure",
    "GoodsShipment",
    "GovernmentAgencyGoodsItem",
    "GovernmentProcedure",
    "Importer",
    "Invoice",
    "InvoiceLine",
    "Itinerary",
    "LoadingLocation",
    "Measure",
    "Order",
    "Origin",
    "Packaging",
    "Party",
    "Payment",
    "Platform",
    "PreviousDocument",
    "Seller",
    "TradeTerms",
    "TransportContractDocument",
    "UnloadingLocation",
]

_NOT_IN_CDS = NOT_IN_CDS
_ECOMMERCE = ECOMMERCE_ORIGIN

_Agent = Agent
_Buyer = Buyer
_Carrier = Carrier
_Consignee = Consignee
_Consignor = Consignor
_Declarant = Declarant
_Exporter = Exporter
_Importer = Importer
_Seller = Seller


class AdditionalDocument(BaseModel):
    """WCO DM class 02A AdditionalDocument: a certificate, licence or other supporting document."""

    model_config = CANONICAL_CONFIG

    CategoryCode: Text | None = element("code", "D031", "Document category, coded")
    ID: Text | None = element("id", "D005", "Additional document reference number")
    Name: Text | None = element("text", "D028", "Additional document name")
    TypeCode: Text | None = element("code", "D006", "Additional document type, coded")
    LPCOExemptionCode: Text | None = element("code", "360", "LPCO Exemption Code")


class AdditionalInformation(BaseModel):
    """WCO DM class 03A AdditionalInformation: a coded or free-text statement."""

    model_config = CANONICAL_CONFIG

    StatementCode: Text | None = element("code", "226", "Additional statement code")
    StatementDescription: Text | None = element("text", "225", "Additional statement text")
    StatementTypeCode: Text | None = element("code", "369", "Additional statement type")


class Packaging(BaseModel):
    """WCO DM class 93A Packaging: packages, their kind, number and marks."""

    model_config = CANONICAL_CONFIG

    SequenceNumeric: int | None = element("integer", "006", "Sequence number")
    MarksNumbersID: Text | None = element("id", "142", "Shipping marks")
    QuantityQuantity: int | None = element("integer", "144", "Number of packages")
    TypeCode: Text | None = element("code", "141", "Type of packages identification, coded")


_ArrivalTransportMeans = ArrivalTransportMeans
_DepartureTransportMeans = DepartureTransportMeans
_GoodsLocation = GoodsLocation
_LoadingLocation = LoadingLocation
_UnloadingLocation = UnloadingLocation
_Itinerary = Itinerary
_TransportContractDocument = TransportContractDocument
_Packaging = Packaging


class Consignment(BaseModel):
    """WCO DM class 28A Consignment: the transport view of the goods shipment."""

    model_config = CANONICAL_CONFIG

    CategoryCode: Text | None = element(
        "code",
        None,
        None,
        "CN 23 category of item: GIFT, DOCUMENTS, COMMERCIAL_SAMPLE, RETURNED_GOODS, "
        f"SALE_OF_GOODS or OTHER; from the UPU CN 23 form, {_NOT_IN_CDS}.",
    )
    ContainerCode: Text | None = element("code", "096", "Container transport code")
    ArrivalTransportMeans: _ArrivalTransportMeans | None = group("10A", "ArrivalTransportMeans")
    DepartureTransportMeans: _DepartureTransportMeans | None = group(
        "46A", "DepartureTransportMeans"
    )
    GoodsLocation: _GoodsLocation | None = group("64A", "GoodsLocation")
    LoadingLocation: _LoadingLocation | None = group("83A", "LoadingLocation")
    UnloadingLocation: _UnloadingLocation | None = group(
        None, None, f"The place of unloading; {_NOT_IN_CDS}."
    )
    Itinerary: list[_Itinerary] = group("81A", "Itinerary", repeating=True)
    TransportContractDocument: list[_TransportContractDocument] = group(
        None,
        None,
        f"Transport documents: postal item identifier, house or master waybill; {_NOT_IN_CDS}.",
        repeating=True,
    )
    Packaging: list[_Packaging] = group("93A", "Packaging", repeating=True)


class CustomsValuation(BaseModel):
    """WCO DM class 41A CustomsValuation: freight, insurance and the valuation method."""

    model_config = CANONICAL_CONFIG

    FreightChargeAmount: Amount | None = element("amount", "117", "Freight costs")
    InsuranceChargeAmount: Amount | None = element(
        "amount", None, None, f"Insurance costs of the shipment; {_NOT_IN_CDS}."
    )
    MethodCode: Text | None = element("code", "122", "Valuation method, coded")


class Destination(BaseModel):
    """WCO DM class 99B Destination: the country the goods go to."""

    model_config = CANONICAL_CONFIG

    CountryCode: Text | None = element("code", "465", "Country of destination, coded")


class ExportCountry(BaseModel):
    """WCO DM class 95B ExportCountry: the country the goods are exported from."""

    model_config = CANONICAL_CONFIG

    ID: Text | None = element("code", "062", "Country of exportation, coded")


class DomesticDutyTaxParty(BaseModel):
    """WCO DM class 55B DomesticDutyTaxParty: a party identified for duty or tax (e.g. VAT)."""

    model_config = CANONICAL_CONFIG

    ID: Text | None = element("id", "R119", "DomesticDutyTaxParty, coded")
    RoleCode: Text | None = element("code", "R005", "Role code")


class TradeTerms(BaseModel):
    """WCO DM class 22B TradeTerms: the Incoterms of the sale."""

    model_config = CANONICAL_CONFIG

    ConditionCode: Text | None = element("code", "090", "INCOTERMS, coded")
    LocationName: Text | None = element("text", "L001", "INCOTERMS place")


class Invoice(BaseModel):
    """WCO DM class 78A Invoice: the commercial invoice of the shipment."""

    model_config = CANONICAL_CONFIG

    ID: Text | None = element("id", "D016", "Invoice number")
    IssueDateTime: DateTimeText | None = element("datetime", "D015", "Invoice date")


class PreviousDocument(BaseModel):
    """WCO DM class 99A PreviousDocument: an earlier document or declaration referred to."""

    model_config = CANONICAL_CONFIG

    CategoryCode: Text | None = element("code", "D031", "Document category, coded")
    ID: Text | None = element("id", "D018", "Previous document number")
    TypeCode: Text | None = element("code", "D019", "Previous document type, coded")
    LineNumeric: int | None = element(
        "integer", "171", "Declaration line number previously recorded"
    )


class UCR(BaseModel):
    """WCO DM class 35B UCR: the unique consignment reference."""

    model_config = CANONICAL_CONFIG

    ID: Text | None = element("id", "016", "UCR")
    TraderAssignedReferenceID: Text | None = element("id", "009", "Trader reference")


class Classification(BaseModel):
    """WCO DM class 21A Classification: a commodity code and the scheme it belongs to."""

    model_config = CANONICAL_CONFIG

    ID: Text | None = element("code", "145", "Commodity Classification")
    IdentificationTypeCode: Text | None = element(
        "code",
        None,
        None,
        "Classification scheme of the ID (e.g. TSP, TRC, TAR); in the UK CDS profile without "
        "a WCO ID.",
    )


class GoodsMeasure(BaseModel):
    """WCO DM class 65A GoodsMeasure: weights and quantities of a goods item."""

    model_config = CANONICAL_CONFIG

    GrossMassMeasure: Measure | None = element("measure", "126", "Gross weight item level")
    NetNetWeightMeasure: Measure | None = element("measure", "128", "Net net weight")
    TariffQuantity: Measure | None = element(
        "measure", "130", "Tariff quantity/ Supplementary quantity"
    )


class InvoiceLine(BaseModel):
    """WCO DM class 79A InvoiceLine: the invoice line of a goods item."""

    model_config = CANONICAL_CONFIG

    ItemChargeAmount: Amount | None = element("amount", "112", "Item amount")
    UnitPriceAmount: Amount | None = element(
        "amount", None, None, f"Price of one unit of the goods; {_ECOMMERCE}."
    )
    Quantity: DecimalValue | None = element(
        "decimal", None, None, f"Number of units invoiced; {_ECOMMERCE}."
    )


_Classification = Classification
_GoodsMeasure = GoodsMeasure
_InvoiceLine = InvoiceLine


class Commodity(BaseModel):
    """WCO DM class 23A Commodity: what the goods are."""

    model_config = CANONICAL_CONFIG

    Description: Text | None = element("text", "137", "Description of goods")
    ProductID: Text | None = element(
        "id", None, None, f"The seller's stock keeping unit (SKU); {_ECOMMERCE}."
    )
    ListingURI: Text | None = element(
        "uri", None, None, f"Web address of the e-commerce listing of the goods; {_ECOMMERCE}."
    )
    Classification: list[_Classification] = group("21A", "Classification", repeating=True)
    GoodsMeasure: _GoodsMeasure | None = group("65A", "GoodsMeasure")
    InvoiceLine: _InvoiceLine | None = group("79A", "InvoiceLine")


class GovernmentProcedure(BaseModel):
    """WCO DM class 70A GovernmentProcedure: the customs procedure requested."""

    model_config = CANONICAL_CONFIG

    CurrentCode: Text | None = element("code", "166", "Government procedure, coded")
    PreviousCode: Text | None = element("code", "161", "Previous government procedure")


class Origin(BaseModel):
    """WCO DM class 92A Origin: where the goods come from."""

    model_config = CANONICAL_CONFIG

    CountryCode: Text | None = element("code", "063", "Country of origin, coded")
    TypeCode: Text | None = element("code", "501", "Origin type, coded")


_AdditionalDocument = AdditionalDocument
_AdditionalInformation = AdditionalInformation
_Commodity = Commodity
_GovernmentProcedure = GovernmentProcedure
_Origin = Origin
_PreviousDocument = PreviousDocument


class GovernmentAgencyGoodsItem(BaseModel):
    """WCO DM class 68A GovernmentAgencyGoodsItem: one goods item of the declaration."""

    model_config = CANONICAL_CONFIG

    SequenceNumeric: int | None = element("integer", "006", "Sequence number")
    CustomsValueAmount: Amount | None = element("amount", "108", "Customs value")
    StatisticalValueAmount: Amount | None = element("amount", "114", "Statistical value")
    TransactionNatureCode: Text | None = element("code", "103", "Nature of transaction, coded")
    AdditionalDocument: list[_AdditionalDocument] = group(
        "02A", "AdditionalDocument", repeating=True
    )
    AdditionalInformation: list[_AdditionalInformation] = group(
        "03A", "AdditionalInformation", repeating=True
    )
    Commodity: _Commodity | None = group("23A", "Commodity")
    GovernmentProcedure: list[_GovernmentProcedure] = group(
        "70A", "GovernmentProcedure", repeating=True
    )
    Origin: list[_Origin] = group("92A", "Origin", repeating=True)
    Packaging: list[_Packaging] = group("93A", "Packaging", repeating=True)
    PreviousDocument: list[_PreviousDocument] = group("99A", "PreviousDocument", repeating=True)


_Consignment = Consignment
_CustomsValuation = CustomsValuation
_Destination = Destination
_DomesticDutyTaxParty = DomesticDutyTaxParty
_ExportCountry = ExportCountry
_GovernmentAgencyGoodsItem = GovernmentAgencyGoodsItem
_Invoice = Invoice
_TradeTerms = TradeTerms
_UCR = UCR


class GoodsShipment(BaseModel):
    """WCO DM class 67A GoodsShipment: the goods, their parties, valuation and items."""

    model_config = CANONICAL_CONFIG

    TransactionNatureCode: Text | None = element("code", "103", "Nature of transaction, coded")
    Buyer: _Buyer | None = group("16A", "Buyer")
    Consignee: _Consignee | None = group("27A", "Consignee")
    Consignor: _Consignor | None = group("30A", "Consignor")
    Importer: _Importer | None = group("74A", "Importer")
    Seller: _Seller | None = group("09B", "Seller")
    Consignment: _Consignment | None = group("28A", "Consignment")
    CustomsValuation: _CustomsValuation | None = group("41A", "CustomsValuation")
    Destination: _Destination | None = group("99B", "Destination")
    ExportCountry: _ExportCountry | None = group("95B", "ExportCountry")
    DomesticDutyTaxParty: list[_DomesticDutyTaxParty] = group(
        "55B", "DomesticDutyTaxParty", repeating=True
    )
    TradeTerms: _TradeTerms | None = group("22B", "TradeTerms")
    Invoice: _Invoice | None = group("78A", "Invoice")
    PreviousDocument: list[_PreviousDocument] = group("99A", "PreviousDocument", repeating=True)
    UCR: _UCR | None = group("35B", "UCR")
    GovernmentAgencyGoodsItem: list[_GovernmentAgencyGoodsItem] = group(
        "68A", "GovernmentAgencyGoodsItem", repeating=True
    )


_BorderTransportMeans = BorderTransportMeans
_ECommerce = ECommerce
_GoodsShipment = GoodsShipment


class Declaration(BaseModel):
    """WCO DM class 42A Declaration: one canonical goods declaration."""

    model_config = CANONICAL_CONFIG

    FunctionCode: Text | None = element("code", "017", "Message function, coded")
    FunctionalReferenceID: Text | None = element("id", "D026", "Functional reference number")
    ID: Text | None = element("id", "D014", "Document reference number")
    TypeCode: Text | None = element("code", "D013", "Document name, coded")
    IssueDateTime: DateTimeText | None = element("datetime", "D011", "Document issuing date")
    GoodsItemQuantity: int | None = element("integer", "228", "Total number of items")
    TotalPackageQuantity: int | None = element("integer", "146", "Total number of packages")
    TotalGrossMassMeasure: Measure | None = element("measure", "131", "Total gross weight")
    InvoiceAmount: Amount | None = element("amount", "109", "Total invoice amount")
    SpecificCircumstancesCodeCode: Text | None = element(
        "code", "504", "Specific circumstances, coded"
    )
    DeclarationOfficeID: Text | None = element("id", "065", "Office of declaration, coded")
    AdditionalDocument: list[_AdditionalDocument] = group(
        "02A", "AdditionalDocument", repeating=True
    )
    AdditionalInformation: list[_AdditionalInformation] = group(
        "03A", "AdditionalInformation", repeating=True
    )
    Agent: _Agent | None = group("05A", "Agent")
    BorderTransportMeans: _BorderTransportMeans | None = group("15A", "BorderTransportMeans")
    Carrier: _Carrier | None = group("18A", "Carrier")
    Declarant: _Declarant | None = group("57B", "Declarant")
    Exporter: _Exporter | None = group("57A", "Exporter")
    GoodsShipment: _GoodsShipment | None = group("67A", "GoodsShipment")
    ECommerce: _ECommerce | None = group(
        None, None, f"E-commerce platform, order and payment; {_ECOMMERCE}."
    )


DECLARATION_WCO_ID = "42A"
"""WCO DM ID of the Declaration class itself (the root has no field to carry it)."""


class DeclarationBatch(BaseModel):
    """A batch of canonical declarations from one message of one feed."""

    model_config = CANONICAL_CONFIG

    feed: Text | None = Field(default=None, description="Name of the feed the batch came from.")
    messageID: Text | None = Field(
        default=None, description="Identifier of the message the batch came from."
    )
    declarations: list[Declaration] = Field(
        default_factory=list, description="The declarations, in message order."
    )
