from tortoise import migrations
from tortoise.migrations import operations as ops
from models.fields import MoneyField

class Migration(migrations.Migration):
    dependencies = [('autofin', '0015_coverage_service_dms')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CreditApplication',
            name='add_ons_price',
            field=MoneyField(default=0),
        ),
    ]
