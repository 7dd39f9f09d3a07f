"""Readers for files uploaded by municipal staff: tables and geometry files."""
