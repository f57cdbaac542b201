<?xml version="1.0" encoding="UTF-8"?>
<!--
  Lower bound for benchmarks/translate.py, contender (e), first hop: ITMATT-shaped postal items to
  the gateway's canonical declarations, written by hand and as lean as XSLT 1.0 allows. For every
  item of the benchmark's batch it writes the same canonical declaration as the generated
  stylesheet of mappings/feeds/upu-itmatt.yaml (tests/benchmarks checks this), grouped in batches
  of 500 declarations as the engine's chunks are.

  What it leaves out, and an engine that reports problems cannot: any test of whether a value is
  there, is a number, is a known unit or code; problem markers; source positions. It only stands
  for "the cheapest conceivable compiled feed mapping" in the bound.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:it="urn:customs-gateway:feed:upu-itmatt:1" xmlns="urn:customs-gateway:canonical:1"
    exclude-result-prefixes="it">
  <xsl:variable name="lower" select="'abcdefghijklmnopqrstuvwxyz'"/>
  <xsl:variable name="upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>
  <xsl:variable name="opname" select="normalize-space(/it:ITMATT/it:MessageHeader/it:Sender/it:OperatorName)"/>
  <xsl:variable name="opcode" select="normalize-space(/it:ITMATT/it:MessageHeader/it:Sender/it:OperatorCode)"/>
  <xsl:template match="/">
    <xsl:element name="Batches" namespace="">
      <xsl:for-each select="it:ITMATT/it:Item[position() mod 500 = 1]">
        <DeclarationBatch>
          <xsl:apply-templates select=". | following-sibling::it:Item[position() &lt; 500]"/>
        </DeclarationBatch>
      </xsl:for-each>
    </xsl:element>
  </xsl:template>
  <xsl:template match="it:Item">
    <xsl:variable name="contents" select="it:Contents/it:Content"/>
    <xsl:variable name="id" select="translate(normalize-space(it:ItemID), $lower, $upper)"/>
    <Declaration>
      <FunctionCode>9</FunctionCode>
      <FunctionalReferenceID><xsl:value-of select="$id"/></FunctionalReferenceID>
      <TypeCode>IM</TypeCode>
      <xsl:if test="it:PostingDateTime"><IssueDateTime><xsl:value-of select="normalize-space(it:PostingDateTime)"/></IssueDateTime></xsl:if>
      <GoodsItemQuantity><xsl:value-of select="count($contents)"/></GoodsItemQuantity>
      <TotalPackageQuantity>1</TotalPackageQuantity>
      <TotalGrossMassMeasure unitCode="KGM"><xsl:call-template name="kilograms"><xsl:with-param name="weight" select="it:GrossWeight"/></xsl:call-template></TotalGrossMassMeasure>
      <InvoiceAmount currencyID="{translate(normalize-space($contents[1]/it:Value/@currency), $lower, $upper)}"><xsl:value-of select="format-number(sum($contents/it:Value), '0.##')"/></InvoiceAmount>
      <BorderTransportMeans><ModeCode>5</ModeCode></BorderTransportMeans>
      <Carrier><Name><xsl:value-of select="$opname"/></Name><ID><xsl:value-of select="$opcode"/></ID></Carrier>
      <GoodsShipment>
        <Consignee><xsl:call-template name="party"><xsl:with-param name="party" select="it:Addressee"/></xsl:call-template></Consignee>
        <Consignor><xsl:call-template name="party"><xsl:with-param name="party" select="it:Sender"/></xsl:call-template></Consignor>
        <Consignment>
          <CategoryCode><xsl:value-of select="substring-before(substring-after('|C=COMMERCIAL_SAMPLE|D=DOCUMENTS|G=GIFT|O=OTHER|R=RETURNED_GOODS|S=SALE_OF_GOODS|', concat('|', translate(normalize-space(it:Category), $lower, $upper), '=')), '|')"/></CategoryCode>
          <TransportContractDocument><ID><xsl:value-of select="$id"/></ID><TypeCode>S10</TypeCode></TransportContractDocument>
        </Consignment>
        <xsl:variable name="postage" select="normalize-space(it:Postage)"/>
        <xsl:if test="$postage != ''">
          <CustomsValuation><FreightChargeAmount currencyID="{translate(normalize-space(it:Postage/@currency), $lower, $upper)}"><xsl:value-of select="$postage"/></FreightChargeAmount></CustomsValuation>
        </xsl:if>
        <Destination><CountryCode><xsl:value-of select="translate(normalize-space(it:DestinationCountry), $lower, $upper)"/></CountryCode></Destination>
        <ExportCountry><ID><xsl:value-of select="translate(normalize-space(it:OriginCountry), $lower, $upper)"/></ID></ExportCountry>
        <xsl:for-each select="$contents">
          <GovernmentAgencyGoodsItem>
            <SequenceNumeric><xsl:value-of select="position()"/></SequenceNumeric>
            <CustomsValueAmount currencyID="{translate(normalize-space(it:Value/@currency), $lower, $upper)}"><xsl:value-of select="normalize-space(it:Value)"/></CustomsValueAmount>
            <Commodity>
              <Description><xsl:value-of select="normalize-space(it:Description)"/></Description>
              <xsl:variable name="hs" select="translate(normalize-space(it:HSCode), ' .', '')"/>
              <xsl:if test="$hs != ''"><Classification><ID><xsl:value-of select="$hs"/></ID></Classification></xsl:if>
              <GoodsMeasure><NetNetWeightMeasure unitCode="KGM"><xsl:call-template name="kilograms"><xsl:with-param name="weight" select="it:NetWeight"/></xsl:call-template></NetNetWeightMeasure></GoodsMeasure>
              <InvoiceLine><Quantity><xsl:value-of select="normalize-space(it:Quantity)"/></Quantity></InvoiceLine>
            </Commodity>
            <xsl:variable name="origin" select="translate(normalize-space(it:OriginCountry), $lower, $upper)"/>
            <xsl:if test="$origin != ''"><Origin><CountryCode><xsl:value-of select="$origin"/></CountryCode></Origin></xsl:if>
          </GovernmentAgencyGoodsItem>
        </xsl:for-each>
      </GoodsShipment>
    </Declaration>
  </xsl:template>
  <xsl:template name="party">
    <xsl:param name="party"/>
    <Name><xsl:value-of select="normalize-space($party/it:Name)"/></Name>
    <Address>
      <Line><xsl:for-each select="$party/it:AddressLine[normalize-space() != '']"><xsl:if test="position() > 1">, </xsl:if><xsl:value-of select="normalize-space()"/></xsl:for-each></Line>
      <xsl:variable name="city" select="normalize-space($party/it:City)"/>
      <xsl:if test="$city != ''"><CityName><xsl:value-of select="$city"/></CityName></xsl:if>
      <xsl:variable name="postcode" select="normalize-space($party/it:Postcode)"/>
      <xsl:if test="$postcode != ''"><PostcodeID><xsl:value-of select="$postcode"/></PostcodeID></xsl:if>
      <CountryCode><xsl:value-of select="translate(normalize-space($party/it:CountryCode), $lower, $upper)"/></CountryCode>
    </Address>
    <xsl:variable name="phone" select="normalize-space($party/it:Phone)"/>
    <xsl:if test="$phone != ''"><Communication><ID><xsl:value-of select="$phone"/></ID><TypeCode>TE</TypeCode></Communication></xsl:if>
    <xsl:variable name="email" select="normalize-space($party/it:Email)"/>
    <xsl:if test="$email != ''"><Communication><ID><xsl:value-of select="$email"/></ID><TypeCode>EM</TypeCode></Communication></xsl:if>
  </xsl:template>
  <xsl:template name="kilograms">
    <xsl:param name="weight"/>
    <xsl:variable name="value" select="number(normalize-space($weight))"/>
    <xsl:variable name="unit" select="translate(normalize-space($weight/@unit), $lower, $upper)"/>
    <xsl:variable name="factor" select="substring-before(substring-after('|GRM=0.001|KGM=1|LBR=0.45359237|ONZ=0.028349523125|', concat('|', $unit, '=')), '|')"/>
    <xsl:value-of select="format-number($value * $factor, '0.######')"/>
  </xsl:template>
</xsl:stylesheet>
