from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('autofin', '0010_daily_close_chunks')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Contract',
            index=Index(fields=['customer_id']),
        ),
        ops.AddIndex(
            model_name='Contract',
            index=Index(fields=['co_customer_id']),
        ),
        ops.AddIndex(
            model_name='Contract',
            index=Index(fields=['dealership_id']),
        ),
    ]
