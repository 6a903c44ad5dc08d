from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('autofin', '0016_application_add_ons_price')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DelinquencyMonthEnd',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='delinquency_month_ends', on_delete=OnDelete.CASCADE)),
                ('month_end', fields.DateField()),
                ('bucket', fields.CharField(max_length=16)),
                ('days_past_due', fields.IntField()),
            ],
            options={'table': 'delinquency_month_ends', 'app': 'autofin', 'unique_together': (('contract', 'month_end'),), 'indexes': [Index(fields=['month_end', 'contract_id'])], 'pk_attr': 'id', 'table_description': "A contract's delinquency bucket at a closed month end, recorded once (as first reported or closed)"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DelinquencyMonthEndRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month_end', fields.DateField(unique=True)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delinquency_month_end_runs', 'app': 'autofin', 'pk_attr': 'id', 'table_description': 'The marker that a month end has been recorded for every contract counted at it.'},
            bases=['Model'],
        ),
    ]
