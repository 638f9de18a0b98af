"""``workbook import``: CRM export files + a mapping file -> a canonical data directory."""
