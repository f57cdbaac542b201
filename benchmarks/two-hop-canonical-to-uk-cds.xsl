<?xml version="1.0" encoding="UTF-8"?>
<!--
  Lower bound for benchmarks/translate.py, contender (e), second hop: the canonical declarations
  of two-hop-itmatt-to-canonical.xsl to UK CDS H7 declarations, written by hand and as lean as
  XSLT 1.0 allows. It writes the same declarations as itmatt-to-uk-cds.xsl (tests/benchmarks
  checks this), each in a <document> of one <documents> wrapper, the shape the gateway validates
  in one call against its batch wrapper of the UK CDS schema.

  What it leaves out, and an engine that reports problems cannot: which required value is
  missing and where (it only skips such declarations), any test of a value before it is written.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:c="urn:customs-gateway:canonical:1"
    xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
    xmlns="urn:wco:datamodel:WCO:DEC-DMS:2" exclude-result-prefixes="c">
  <xsl:param name="declarant_eori" select="''"/>
  <xsl:param name="goods_location_name" select="''"/>
  <xsl:param name="declaration_type" select="'IMD'"/>
  <xsl:param name="goods_location_type" select="'A'"/>
  <xsl:param name="goods_location_qualifier" select="'U'"/>
  <xsl:template match="/">
    <xsl:element name="documents" namespace=""><xsl:apply-templates select="Batches/c:DeclarationBatch/c:Declaration[c:GoodsShipment/c:Consignor/c:Name and c:GoodsShipment/c:Consignee/c:Address/c:CountryCode and not(c:GoodsShipment/c:GovernmentAgencyGoodsItem[not(c:CustomsValueAmount) or not(c:Commodity/c:Description) or not(c:Commodity/c:Classification/c:ID)])]"/></xsl:element>
  </xsl:template>
  <xsl:template match="c:Declaration">
    <xsl:variable name="gs" select="c:GoodsShipment"/>
    <xsl:variable name="gross" select="c:TotalGrossMassMeasure"/>
    <xsl:variable name="only" select="count($gs/c:GovernmentAgencyGoodsItem) = 1"/>
    <xsl:element name="document" namespace=""><md:MetaData>
      <md:WCODataModelVersionCode>3.6</md:WCODataModelVersionCode>
      <md:WCOTypeName>DEC</md:WCOTypeName>
      <md:ResponsibleCountryCode>GB</md:ResponsibleCountryCode>
      <md:ResponsibleAgencyName>HMRC</md:ResponsibleAgencyName>
      <md:AgencyAssignedCustomizationVersionCode>v2.1</md:AgencyAssignedCustomizationVersionCode>
      <Declaration>
        <FunctionCode><xsl:value-of select="c:FunctionCode"/></FunctionCode>
        <FunctionalReferenceID><xsl:value-of select="c:FunctionalReferenceID"/></FunctionalReferenceID>
        <TypeCode><xsl:value-of select="$declaration_type"/></TypeCode>
        <GoodsItemQuantity><xsl:value-of select="count($gs/c:GovernmentAgencyGoodsItem)"/></GoodsItemQuantity>
        <InvoiceAmount currencyID="{c:InvoiceAmount/@currencyID}"><xsl:value-of select="c:InvoiceAmount"/></InvoiceAmount>
        <TotalGrossMassMeasure unitCode="KGM"><xsl:value-of select="$gross"/></TotalGrossMassMeasure>
        <TotalPackageQuantity><xsl:value-of select="c:TotalPackageQuantity"/></TotalPackageQuantity>
        <BorderTransportMeans><ModeCode><xsl:value-of select="c:BorderTransportMeans/c:ModeCode"/></ModeCode></BorderTransportMeans>
        <Declarant><ID><xsl:value-of select="$declarant_eori"/></ID></Declarant>
        <Exporter><xsl:call-template name="party"><xsl:with-param name="party" select="$gs/c:Consignor"/></xsl:call-template></Exporter>
        <GoodsShipment>
          <Consignment>
            <GoodsLocation>
              <Name><xsl:value-of select="$goods_location_name"/></Name>
              <TypeCode><xsl:value-of select="$goods_location_type"/></TypeCode>
              <Address><TypeCode><xsl:value-of select="$goods_location_qualifier"/></TypeCode><CountryCode><xsl:value-of select="$gs/c:Destination/c:CountryCode"/></CountryCode></Address>
            </GoodsLocation>
          </Consignment>
          <xsl:for-each select="$gs/c:CustomsValuation/c:FreightChargeAmount">
            <CustomsValuation><FreightChargeAmount currencyID="{@currencyID}"><xsl:value-of select="."/></FreightChargeAmount></CustomsValuation>
          </xsl:for-each>
          <Destination><CountryCode><xsl:value-of select="$gs/c:Destination/c:CountryCode"/></CountryCode></Destination>
          <ExportCountry><ID><xsl:value-of select="$gs/c:ExportCountry/c:ID"/></ID></ExportCountry>
          <xsl:for-each select="$gs/c:GovernmentAgencyGoodsItem">
            <GovernmentAgencyGoodsItem>
              <CustomsValueAmount currencyID="{c:CustomsValueAmount/@currencyID}"><xsl:value-of select="c:CustomsValueAmount"/></CustomsValueAmount>
              <SequenceNumeric><xsl:value-of select="c:SequenceNumeric"/></SequenceNumeric>
              <Commodity>
                <Description><xsl:value-of select="substring(c:Commodity/c:Description, 1, 512)"/></Description>
                <Classification><ID><xsl:value-of select="c:Commodity/c:Classification/c:ID"/></ID><IdentificationTypeCode>TSP</IdentificationTypeCode></Classification>
                <GoodsMeasure>
                  <xsl:if test="$only"><GrossMassMeasure unitCode="KGM"><xsl:value-of select="$gross"/></GrossMassMeasure></xsl:if>
                  <NetNetWeightMeasure unitCode="KGM"><xsl:value-of select="c:Commodity/c:GoodsMeasure/c:NetNetWeightMeasure"/></NetNetWeightMeasure>
                </GoodsMeasure>
              </Commodity>
              <GovernmentProcedure><CurrentCode>40</CurrentCode><PreviousCode>00</PreviousCode></GovernmentProcedure>
              <GovernmentProcedure><CurrentCode>1H7</CurrentCode></GovernmentProcedure>
              <GovernmentProcedure><CurrentCode>C07</CurrentCode></GovernmentProcedure>
              <xsl:for-each select="c:Origin/c:CountryCode"><Origin><CountryCode><xsl:value-of select="."/></CountryCode><TypeCode>1</TypeCode></Origin></xsl:for-each>
            </GovernmentAgencyGoodsItem>
          </xsl:for-each>
          <Importer><xsl:call-template name="party"><xsl:with-param name="party" select="$gs/c:Consignee"/></xsl:call-template></Importer>
        </GoodsShipment>
      </Declaration>
    </md:MetaData></xsl:element>
  </xsl:template>
  <xsl:template name="party">
    <xsl:param name="party"/>
    <Name><xsl:value-of select="$party/c:Name"/></Name>
    <Address>
      <xsl:for-each select="$party/c:Address/c:CityName"><CityName><xsl:value-of select="."/></CityName></xsl:for-each>
      <CountryCode><xsl:value-of select="$party/c:Address/c:CountryCode"/></CountryCode>
      <xsl:for-each select="$party/c:Address/c:Line"><Line><xsl:value-of select="substring(., 1, 70)"/></Line></xsl:for-each>
      <xsl:for-each select="$party/c:Address/c:PostcodeID"><PostcodeID><xsl:value-of select="."/></PostcodeID></xsl:for-each>
    </Address>
  </xsl:template>
</xsl:stylesheet>
