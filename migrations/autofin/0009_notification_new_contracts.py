from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import NotificationCategory
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('autofin', '0008_origination')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Notification',
            name='category',
            field=fields.CharEnumField(description='PAYMENT_CONFIRMATIONS: PAYMENT_CONFIRMATIONS\nPAYMENT_REMINDERS: PAYMENT_REMINDERS\nSTATEMENTS_READY: STATEMENTS_READY\nSECURITY_ALERTS: SECURITY_ALERTS\nPAYMENT_PROBLEMS: PAYMENT_PROBLEMS\nPLAN_CHANGES: PLAN_CHANGES\nNEW_CONTRACTS: NEW_CONTRACTS', enum_type=NotificationCategory, max_length=24),
        ),
    ]
