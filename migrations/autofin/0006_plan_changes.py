from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import PlanChangeKind, PlanChangeStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('autofin', '0005_autopay')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PlanChangeRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='plan_change_requests', on_delete=OnDelete.RESTRICT)),
                ('requested_by', fields.ForeignKeyField('autofin.User', source_field='requested_by_id', db_constraint=True, to_field='id', related_name='plan_change_requests', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='DUE_DATE_CHANGE: DUE_DATE_CHANGE\nDEFERRAL: DEFERRAL', enum_type=PlanChangeKind, max_length=16)),
                ('status', fields.CharEnumField(default=PlanChangeStatus.PENDING_REVIEW, description='PENDING_REVIEW: PENDING_REVIEW\nAPPROVED: APPROVED\nDECLINED: DECLINED', enum_type=PlanChangeStatus, max_length=16)),
                ('new_due_day', fields.SmallIntField(null=True)),
                ('installments_to_defer', fields.SmallIntField(null=True)),
                ('decision_reason', fields.CharField(default='', max_length=255)),
                ('decided_by', fields.ForeignKeyField('autofin.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='plan_change_decisions', on_delete=OnDelete.RESTRICT)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'plan_change_requests', 'app': 'autofin', 'indexes': [Index(fields=['status', 'created_at']), Index(fields=['contract_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScheduleChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='schedule_change_rows', on_delete=OnDelete.RESTRICT)),
                ('request', fields.OneToOneField('autofin.PlanChangeRequest', source_field='request_id', db_constraint=True, to_field='id', related_name='schedule_change', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='DUE_DATE_CHANGE: DUE_DATE_CHANGE\nDEFERRAL: DEFERRAL', enum_type=PlanChangeKind, max_length=16)),
                ('from_installment', fields.SmallIntField()),
                ('new_due_day', fields.SmallIntField(null=True)),
                ('deferred_count', fields.SmallIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'schedule_changes', 'app': 'autofin', 'indexes': [Index(fields=['contract_id', 'id'])], 'pk_attr': 'id', 'table_description': "An approved change to a contract's installment schedule, from one installment on."},
            bases=['Model'],
        ),
    ]
