"""Excel / CSV / JSON import and Excel export of the three libraries."""
