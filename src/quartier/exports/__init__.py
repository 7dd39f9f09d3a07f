"""Exports of indicator values: CSV, XLSX, GeoJSON, GeoPackage — always through the read layer."""
