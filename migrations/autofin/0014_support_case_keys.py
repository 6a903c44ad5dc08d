from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('autofin', '0013_support_desk')]

    initial = False

    operations = [
        ops.AddField(
            model_name='SupportCase',
            name='idempotency_key',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddConstraint(
            model_name='SupportCase',
            constraint=UniqueConstraint(fields=('opened_by', 'idempotency_key'), name=None),
        ),
        ops.AddIndex(
            model_name='SupportCase',
            index=Index(fields=['status', 'updated_at', 'id']),
        ),
    ]
