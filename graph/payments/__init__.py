"""Payments in the schema: payment methods (methods.py); payments and autopay beside them."""
