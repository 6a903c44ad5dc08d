"""Customer documents as PDF: monthly statements and annual tax documents.

Pure rendering: each renderer takes a frozen figures dataclass and returns the PDF bytes. Nothing
here reads the database or the clock, so the same figures always give the same bytes (the
creation date is derived from the document's period), and a stored SHA-256 can be re-checked.
"""
