from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('autofin', '0009_notification_new_contracts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DailyCloseChunk',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('autofin.DailyCloseRun', source_field='run_id', db_constraint=True, to_field='id', related_name='chunks', on_delete=OnDelete.CASCADE)),
                ('phase', fields.SmallIntField()),
                ('number', fields.IntField()),
                ('first_contract_id', fields.BigIntField(default=0)),
                ('last_contract_id', fields.BigIntField(default=0)),
                ('claimed_by', fields.CharField(default='', max_length=64)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('contracts_processed', fields.IntField(default=0)),
                ('late_fees_assessed', fields.IntField(default=0)),
                ('statements_generated', fields.IntField(default=0)),
                ('autopay_reminders', fields.IntField(default=0)),
                ('autopay_drafts', fields.IntField(default=0)),
            ],
            options={'table': 'daily_close_chunks', 'app': 'autofin', 'unique_together': (('run', 'phase', 'number'),), 'pk_attr': 'id', 'table_description': "A share of a business date's close, planned with its run: a range of contracts (phase 1 is late"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='DailyCloseRun',
            name='autopay_drafts',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='DailyCloseRun',
            name='autopay_reminders',
            field=fields.IntField(default=0),
        ),
    ]
