"""Reading documents: decode a scan or photo (io), read its text with PP-OCRv4 (ocr), pull out the
fields a person looks for on an invoice or a receipt (fields). No Streamlit here."""
