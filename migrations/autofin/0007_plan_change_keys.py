from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from models.enums import NotificationCategory
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('autofin', '0006_plan_changes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Contract',
            name='applied_changes',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='PlanChangeRequest',
            name='idempotency_key',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddConstraint(
            model_name='PlanChangeRequest',
            constraint=UniqueConstraint(fields=('requested_by', 'idempotency_key'), name=None),
        ),
        ops.AlterField(
            model_name='Notification',
            name='category',
            field=fields.CharEnumField(description='PAYMENT_CONFIRMATIONS: PAYMENT_CONFIRMATIONS\nPAYMENT_REMINDERS: PAYMENT_REMINDERS\nSTATEMENTS_READY: STATEMENTS_READY\nSECURITY_ALERTS: SECURITY_ALERTS\nPAYMENT_PROBLEMS: PAYMENT_PROBLEMS\nPLAN_CHANGES: PLAN_CHANGES', enum_type=NotificationCategory, max_length=24),
        ),
    ]
