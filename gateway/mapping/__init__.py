"""The declarative mapping engine: mapping files (YAML) compiled once into XSLT stylesheets."""
