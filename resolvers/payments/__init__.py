"""Payment rules: payment methods (methods.py, bank_validation.py); payments and autopay live beside them."""
