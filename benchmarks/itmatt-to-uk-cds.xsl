<?xml version="1.0" encoding="UTF-8"?>
<!--
  Hand-written baseline for benchmarks/translate.py: ITMATT-shaped postal items straight to
  UK CDS H7 declarations (WCO DM 3.6 Declaration in md:MetaData), XSLT 1.0, no extension
  functions. It writes, for each item the gateway would accept, the same declaration as the
  gateway's translate from upu-itmatt to uk-cds (mappings/feeds/upu-itmatt.yaml followed by
  mappings/destinations/uk-cds.yaml), all of them under one <Documents> wrapper element that
  the benchmark unwraps into one serialised document per item.

  What it does not do, and the gateway does: validate the input, the canonical form and the
  output against their schemas; run the checks (S10 check digit, HS code, code lists, vague
  descriptions, net above gross weight); say why an item is refused. An item is skipped here
  when a value the gateway requires is missing (the same "requires" list), nothing more.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:it="urn:customs-gateway:feed:upu-itmatt:1"
    xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
    xmlns="urn:wco:datamodel:WCO:DEC-DMS:2"
    exclude-result-prefixes="it">

  <xsl:output method="xml" encoding="UTF-8"/>

  <!-- The destination's parameters, as in mappings/destinations/uk-cds.yaml. -->
  <xsl:param name="declarant_eori" select="''"/>
  <xsl:param name="goods_location_name" select="''"/>
  <xsl:param name="declaration_type" select="'IMD'"/>
  <xsl:param name="goods_location_type" select="'A'"/>
  <xsl:param name="goods_location_qualifier" select="'U'"/>

  <xsl:variable name="lower" select="'abcdefghijklmnopqrstuvwxyz'"/>
  <xsl:variable name="upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>

  <xsl:template match="/">
    <Documents>
      <xsl:apply-templates select="it:ITMATT/it:Item[
          normalize-space(it:ItemID) != ''
          and normalize-space(it:GrossWeight) != ''
          and normalize-space(it:Category) != ''
          and normalize-space(it:DestinationCountry) != ''
          and normalize-space(it:OriginCountry) != ''
          and normalize-space(it:Sender/it:Name) != ''
          and normalize-space(it:Sender/it:CountryCode) != ''
          and normalize-space(it:Addressee/it:Name) != ''
          and normalize-space(it:Addressee/it:City) != ''
          and normalize-space(it:Addressee/it:CountryCode) != ''
          and it:Addressee/it:AddressLine[normalize-space() != '']
          and it:Contents/it:Content
          and not(it:Contents/it:Content[
              normalize-space(it:Value) = '' or normalize-space(it:Value/@currency) = ''
              or normalize-space(it:Description) = ''
              or translate(normalize-space(it:HSCode), ' .', '') = ''])]"/>
    </Documents>
  </xsl:template>

  <!-- One postal item: one declaration. -->
  <xsl:template match="it:Item">
    <xsl:variable name="contents" select="it:Contents/it:Content"/>
    <xsl:variable name="gross">
      <xsl:call-template name="kilograms">
        <xsl:with-param name="weight" select="it:GrossWeight"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="destination"
        select="translate(normalize-space(it:DestinationCountry), $lower, $upper)"/>
    <md:MetaData>
      <md:WCODataModelVersionCode>3.6</md:WCODataModelVersionCode>
      <md:WCOTypeName>DEC</md:WCOTypeName>
      <md:ResponsibleCountryCode>GB</md:ResponsibleCountryCode>
      <md:ResponsibleAgencyName>HMRC</md:ResponsibleAgencyName>
      <md:AgencyAssignedCustomizationVersionCode>v2.1</md:AgencyAssignedCustomizationVersionCode>
      <Declaration>
        <FunctionCode>9</FunctionCode>
        <FunctionalReferenceID>
          <xsl:value-of select="translate(normalize-space(it:ItemID), $lower, $upper)"/>
        </FunctionalReferenceID>
        <TypeCode><xsl:value-of select="$declaration_type"/></TypeCode>
        <GoodsItemQuantity><xsl:value-of select="count($contents)"/></GoodsItemQuantity>
        <InvoiceAmount>
          <xsl:variable name="currency" select="normalize-space($contents[1]/it:Value/@currency)"/>
          <xsl:if test="$currency != ''">
            <xsl:attribute name="currencyID">
              <xsl:value-of select="translate($currency, $lower, $upper)"/>
            </xsl:attribute>
          </xsl:if>
          <xsl:value-of select="format-number(sum($contents/it:Value), '0.##')"/>
        </InvoiceAmount>
        <xsl:if test="$gross != ''">
          <TotalGrossMassMeasure unitCode="KGM"><xsl:value-of select="$gross"/></TotalGrossMassMeasure>
        </xsl:if>
        <TotalPackageQuantity>1</TotalPackageQuantity>
        <BorderTransportMeans><ModeCode>5</ModeCode></BorderTransportMeans>
        <xsl:if test="$declarant_eori != ''">
          <Declarant><ID><xsl:value-of select="$declarant_eori"/></ID></Declarant>
        </xsl:if>
        <Exporter>
          <xsl:call-template name="party">
            <xsl:with-param name="party" select="it:Sender"/>
          </xsl:call-template>
        </Exporter>
        <GoodsShipment>
          <Consignment>
            <GoodsLocation>
              <Name><xsl:value-of select="$goods_location_name"/></Name>
              <TypeCode><xsl:value-of select="$goods_location_type"/></TypeCode>
              <Address>
                <TypeCode><xsl:value-of select="$goods_location_qualifier"/></TypeCode>
                <CountryCode><xsl:value-of select="$destination"/></CountryCode>
              </Address>
            </GoodsLocation>
          </Consignment>
          <xsl:variable name="postage" select="normalize-space(it:Postage)"/>
          <xsl:if test="string(number($postage)) != 'NaN'">
            <CustomsValuation>
              <FreightChargeAmount>
                <xsl:if test="normalize-space(it:Postage/@currency) != ''">
                  <xsl:attribute name="currencyID">
                    <xsl:value-of
                        select="translate(normalize-space(it:Postage/@currency), $lower, $upper)"/>
                  </xsl:attribute>
                </xsl:if>
                <xsl:value-of select="$postage"/>
              </FreightChargeAmount>
            </CustomsValuation>
          </xsl:if>
          <Destination><CountryCode><xsl:value-of select="$destination"/></CountryCode></Destination>
          <ExportCountry>
            <ID><xsl:value-of select="translate(normalize-space(it:OriginCountry), $lower, $upper)"/></ID>
          </ExportCountry>
          <xsl:for-each select="$contents">
            <xsl:call-template name="goods-item">
              <xsl:with-param name="gross" select="$gross"/>
              <xsl:with-param name="only" select="count($contents) = 1"/>
            </xsl:call-template>
          </xsl:for-each>
          <Importer>
            <xsl:call-template name="party">
              <xsl:with-param name="party" select="it:Addressee"/>
            </xsl:call-template>
          </Importer>
        </GoodsShipment>
      </Declaration>
    </md:MetaData>
  </xsl:template>

  <!-- Name and address of the sender (Exporter) or the addressee (Importer). -->
  <xsl:template name="party">
    <xsl:param name="party"/>
    <Name><xsl:value-of select="normalize-space($party/it:Name)"/></Name>
    <xsl:variable name="city" select="normalize-space($party/it:City)"/>
    <xsl:variable name="country"
        select="translate(normalize-space($party/it:CountryCode), $lower, $upper)"/>
    <xsl:variable name="line">
      <xsl:for-each select="$party/it:AddressLine[normalize-space() != '']">
        <xsl:if test="position() > 1">, </xsl:if>
        <xsl:value-of select="normalize-space()"/>
      </xsl:for-each>
    </xsl:variable>
    <xsl:variable name="postcode" select="normalize-space($party/it:Postcode)"/>
    <Address>
      <xsl:if test="$city != ''"><CityName><xsl:value-of select="$city"/></CityName></xsl:if>
      <CountryCode><xsl:value-of select="$country"/></CountryCode>
      <xsl:if test="$line != ''">
        <Line><xsl:value-of select="substring(normalize-space($line), 1, 70)"/></Line>
      </xsl:if>
      <xsl:if test="$postcode != ''"><PostcodeID><xsl:value-of select="$postcode"/></PostcodeID></xsl:if>
    </Address>
  </xsl:template>

  <!-- One content line of the item: one goods item (context: it:Content). -->
  <xsl:template name="goods-item">
    <xsl:param name="gross"/>
    <xsl:param name="only"/>
    <xsl:variable name="net">
      <xsl:call-template name="kilograms">
        <xsl:with-param name="weight" select="it:NetWeight"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:variable name="origin" select="translate(normalize-space(it:OriginCountry), $lower, $upper)"/>
    <GovernmentAgencyGoodsItem>
      <CustomsValueAmount currencyID="{translate(normalize-space(it:Value/@currency), $lower, $upper)}">
        <xsl:value-of select="normalize-space(it:Value)"/>
      </CustomsValueAmount>
      <SequenceNumeric><xsl:value-of select="position()"/></SequenceNumeric>
      <Commodity>
        <Description><xsl:value-of select="substring(normalize-space(it:Description), 1, 512)"/></Description>
        <Classification>
          <ID><xsl:value-of select="translate(normalize-space(it:HSCode), ' .', '')"/></ID>
          <IdentificationTypeCode>TSP</IdentificationTypeCode>
        </Classification>
        <xsl:if test="($only and $gross != '') or $net != ''">
          <GoodsMeasure>
            <xsl:if test="$only and $gross != ''">
              <GrossMassMeasure unitCode="KGM"><xsl:value-of select="$gross"/></GrossMassMeasure>
            </xsl:if>
            <xsl:if test="$net != ''">
              <NetNetWeightMeasure unitCode="KGM"><xsl:value-of select="$net"/></NetNetWeightMeasure>
            </xsl:if>
          </GoodsMeasure>
        </xsl:if>
      </Commodity>
      <GovernmentProcedure><CurrentCode>40</CurrentCode><PreviousCode>00</PreviousCode></GovernmentProcedure>
      <GovernmentProcedure><CurrentCode>1H7</CurrentCode></GovernmentProcedure>
      <GovernmentProcedure><CurrentCode>C07</CurrentCode></GovernmentProcedure>
      <xsl:if test="$origin != ''">
        <Origin><CountryCode><xsl:value-of select="$origin"/></CountryCode><TypeCode>1</TypeCode></Origin>
      </xsl:if>
    </GovernmentAgencyGoodsItem>
  </xsl:template>

  <!--
    A weight element's value in kilograms, rounded to 6 decimals as the gateway's convert_unit
    does (UN/ECE Rec. 20 mass units the feeds use); '' for an unknown unit or no number.
  -->
  <xsl:template name="kilograms">
    <xsl:param name="weight"/>
    <xsl:variable name="value" select="number(normalize-space($weight))"/>
    <xsl:variable name="unit" select="translate(normalize-space($weight/@unit), $lower, $upper)"/>
    <xsl:variable name="factor">
      <xsl:choose>
        <xsl:when test="$unit = 'KGM'">1</xsl:when>
        <xsl:when test="$unit = 'GRM'">0.001</xsl:when>
        <xsl:when test="$unit = 'LBR'">0.45359237</xsl:when>
        <xsl:when test="$unit = 'ONZ'">0.028349523125</xsl:when>
        <xsl:when test="$unit = 'TNE'">1000</xsl:when>
        <xsl:when test="$unit = 'MGM'">0.000001</xsl:when>
        <xsl:when test="$unit = 'HGM'">0.1</xsl:when>
        <xsl:when test="$unit = 'DJ'">0.01</xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="string($value) = 'NaN' or $factor = ''"/>
      <xsl:otherwise>
        <xsl:value-of select="format-number($value * $factor, '0.######')"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
