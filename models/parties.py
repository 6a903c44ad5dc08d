"""The people and businesses on a contract: customers and dealerships."""

from tortoise import fields
from tortoise.models import Model


class Dealership(Model):
    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=128)
    city = fields.CharField(max_length=64)
    state = fields.CharField(max_length=2)
    phone = fields.CharField(max_length=20)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "dealerships"


class Customer(Model):
    """A borrower or lessee. The SSN is held encrypted (AES-256-GCM) and matched by blind index."""

    id = fields.BigIntField(primary_key=True)
    first_name = fields.CharField(max_length=64)
    last_name = fields.CharField(max_length=64)
    date_of_birth = fields.DateField()
    email = fields.CharField(max_length=254, db_index=True)
    phone = fields.CharField(max_length=20)
    address_line1 = fields.CharField(max_length=128)
    address_line2 = fields.CharField(max_length=128, default="")
    city = fields.CharField(max_length=64)
    state = fields.CharField(max_length=2)
    postal_code = fields.CharField(max_length=10)
    ssn_encrypted = fields.TextField()
    ssn_blind_index = fields.CharField(max_length=64, db_index=True)
    ssn_last4 = fields.CharField(max_length=4)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "customers"
        # Support finds a customer by name and date of birth, by phone, or by SSN last four with
        # another fact (resolvers/support/search.py).
        indexes = (("last_name", "date_of_birth"), ("phone",), ("ssn_last4",))
