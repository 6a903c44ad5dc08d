from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('autofin', '0011_contract_party_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LedgerCheckpoint',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.OneToOneField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='ledger_checkpoint', on_delete=OnDelete.CASCADE)),
                ('through', fields.DateField()),
                ('recent_from', fields.DateField()),
                ('rows', fields.IntField()),
                ('terms', fields.CharField(max_length=64)),
                ('data', fields.TextField(unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_checkpoints', 'app': 'autofin', 'pk_attr': 'id', 'table_description': "A contract's ledger folded through a date (resolvers/servicing/positions.py Checkpoint), so its"},
            bases=['Model'],
        ),
    ]
