from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import CaseCategory, CaseStatus, CorrectionKind, CorrectionReason, CorrectionStatus, NotificationCategory, ThreadCategory, ThreadStatus, VerificationMethod, VerificationStatus
from models.fields import MoneyField
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('autofin', '0012_ledger_checkpoints')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AttachmentBlob',
            fields=[
                ('sha256', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('content', fields.BinaryField()),
                ('size', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attachment_blobs', 'app': 'autofin', 'pk_attr': 'sha256', 'table_description': 'The bytes of an attachment, once per content.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LiveEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('autofin.User', source_field='user_id', db_constraint=True, to_field='id', related_name='live_events', on_delete=OnDelete.CASCADE)),
                ('topic', fields.CharField(max_length=32)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'live_events', 'app': 'autofin', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupportCase',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('autofin.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='support_cases', on_delete=OnDelete.RESTRICT)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', null=True, db_constraint=True, to_field='id', related_name='support_cases', on_delete=OnDelete.RESTRICT)),
                ('category', fields.CharEnumField(description='PAYMENT_DISPUTE: PAYMENT_DISPUTE\nMISAPPLIED_PAYMENT: MISAPPLIED_PAYMENT\nFEE_WAIVER: FEE_WAIVER\nDUE_DATE_CHANGE: DUE_DATE_CHANGE\nDEFERRAL: DEFERRAL\nACCOUNT_ACCESS: ACCOUNT_ACCESS\nOTHER: OTHER', enum_type=CaseCategory, max_length=24)),
                ('subject', fields.CharField(max_length=200)),
                ('status', fields.CharEnumField(default=CaseStatus.OPEN, description='OPEN: OPEN\nWAITING_ON_CUSTOMER: WAITING_ON_CUSTOMER\nRESOLVED: RESOLVED', enum_type=CaseStatus, max_length=24)),
                ('assigned_to', fields.ForeignKeyField('autofin.User', source_field='assigned_to_id', null=True, db_constraint=True, to_field='id', related_name='assigned_cases', on_delete=OnDelete.RESTRICT)),
                ('opened_by', fields.ForeignKeyField('autofin.User', source_field='opened_by_id', null=True, db_constraint=True, to_field='id', related_name='opened_cases', on_delete=OnDelete.RESTRICT)),
                ('plan_change_request', fields.OneToOneField('autofin.PlanChangeRequest', source_field='plan_change_request_id', null=True, db_constraint=True, to_field='id', related_name='support_case', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'support_cases', 'app': 'autofin', 'indexes': [Index(fields=['status', 'created_at']), Index(fields=['assigned_to_id', 'status']), Index(fields=['customer_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One matter for one customer (optionally one contract), worked by a SUPPORT user.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CaseNote',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('autofin.SupportCase', source_field='case_id', db_constraint=True, to_field='id', related_name='notes', on_delete=OnDelete.RESTRICT)),
                ('author', fields.ForeignKeyField('autofin.User', source_field='author_id', db_constraint=True, to_field='id', related_name='case_notes', on_delete=OnDelete.RESTRICT)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'support_case_notes', 'app': 'autofin', 'indexes': [Index(fields=['case_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A staff note on a case. Notes are appended, never edited.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdentityVerification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('autofin.SupportCase', source_field='case_id', db_constraint=True, to_field='id', related_name='verifications', on_delete=OnDelete.RESTRICT)),
                ('customer', fields.ForeignKeyField('autofin.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='verifications', on_delete=OnDelete.RESTRICT)),
                ('staff', fields.ForeignKeyField('autofin.User', source_field='staff_id', db_constraint=True, to_field='id', related_name='verifications_done', on_delete=OnDelete.RESTRICT)),
                ('method', fields.CharEnumField(description='KNOWLEDGE: KNOWLEDGE\nEMAIL_CODE: EMAIL_CODE\nSMS_CODE: SMS_CODE', enum_type=VerificationMethod, max_length=16)),
                ('status', fields.CharEnumField(description='PENDING: PENDING\nVERIFIED: VERIFIED\nFAILED: FAILED', enum_type=VerificationStatus, max_length=16)),
                ('code_hash', fields.CharField(null=True, max_length=64)),
                ('code_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.SmallIntField(default=0)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'identity_verifications', 'app': 'autofin', 'indexes': [Index(fields=['case_id', 'status', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'A check that the person talking to support is the customer, for one case.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerCorrection',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('autofin.SupportCase', source_field='case_id', db_constraint=True, to_field='id', related_name='corrections', on_delete=OnDelete.RESTRICT)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='corrections', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='MOVE_PAYMENT: MOVE_PAYMENT\nREAPPLY_PAYMENT: REAPPLY_PAYMENT\nWAIVE_FEE: WAIVE_FEE\nCORRECT_AMOUNT: CORRECT_AMOUNT', enum_type=CorrectionKind, max_length=24)),
                ('reason', fields.CharEnumField(description='MISAPPLIED_PAYMENT: MISAPPLIED_PAYMENT\nKEYING_ERROR: KEYING_ERROR\nPROCESSING_ERROR: PROCESSING_ERROR\nGOODWILL: GOODWILL\nDISPUTE_RESOLVED: DISPUTE_RESOLVED\nHARDSHIP: HARDSHIP', enum_type=CorrectionReason, max_length=24)),
                ('explanation', fields.CharField(max_length=500)),
                ('entry', fields.ForeignKeyField('autofin.LedgerEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='corrections', on_delete=OnDelete.RESTRICT)),
                ('target_contract', fields.ForeignKeyField('autofin.Contract', source_field='target_contract_id', null=True, db_constraint=True, to_field='id', related_name='corrections_received', on_delete=OnDelete.RESTRICT)),
                ('corrected_amount', MoneyField(null=True)),
                ('effective_date', fields.DateField(null=True)),
                ('amount', MoneyField()),
                ('status', fields.CharEnumField(default=CorrectionStatus.PROPOSED, description='PROPOSED: PROPOSED\nPOSTED: POSTED\nREJECTED: REJECTED\nCANCELLED: CANCELLED', enum_type=CorrectionStatus, max_length=16)),
                ('proposed_by', fields.ForeignKeyField('autofin.User', source_field='proposed_by_id', db_constraint=True, to_field='id', related_name='corrections_proposed', on_delete=OnDelete.RESTRICT)),
                ('decided_by', fields.ForeignKeyField('autofin.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='corrections_decided', on_delete=OnDelete.RESTRICT)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision_note', fields.CharField(default='', max_length=500)),
                ('idempotency_key', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_corrections', 'app': 'autofin', 'unique_together': (('proposed_by', 'idempotency_key'),), 'indexes': [Index(fields=['status', 'created_at']), Index(fields=['contract_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageThread',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('autofin.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='message_threads', on_delete=OnDelete.RESTRICT)),
                ('category', fields.CharEnumField(description='PAYMENTS: PAYMENTS\nACCOUNT: ACCOUNT\nCONTRACT: CONTRACT\nLEASE_END: LEASE_END\nDOCUMENTS: DOCUMENTS\nOTHER: OTHER', enum_type=ThreadCategory, max_length=16)),
                ('subject', fields.CharField(max_length=200)),
                ('status', fields.CharEnumField(default=ThreadStatus.OPEN, description='OPEN: OPEN\nWAITING_ON_CUSTOMER: WAITING_ON_CUSTOMER\nCLOSED: CLOSED', enum_type=ThreadStatus, max_length=24)),
                ('assigned_to', fields.ForeignKeyField('autofin.User', source_field='assigned_to_id', null=True, db_constraint=True, to_field='id', related_name='assigned_threads', on_delete=OnDelete.RESTRICT)),
                ('case', fields.ForeignKeyField('autofin.SupportCase', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='threads', on_delete=OnDelete.RESTRICT)),
                ('customer_read_up_to', fields.BigIntField(default=0)),
                ('support_read_up_to', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_message_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message_threads', 'app': 'autofin', 'indexes': [Index(fields=['customer_id', 'last_message_at']), Index(fields=['status', 'last_message_at']), Index(fields=['assigned_to_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SecureMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('autofin.MessageThread', source_field='thread_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.RESTRICT)),
                ('author', fields.ForeignKeyField('autofin.User', source_field='author_id', db_constraint=True, to_field='id', related_name='secure_messages', on_delete=OnDelete.RESTRICT)),
                ('from_support', fields.BooleanField()),
                ('body', fields.TextField(unique=False)),
                ('idempotency_key', fields.CharField(null=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'secure_messages', 'app': 'autofin', 'unique_together': (('author', 'idempotency_key'),), 'indexes': [Index(fields=['thread_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageAttachment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('autofin.SecureMessage', source_field='message_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.RESTRICT)),
                ('blob', fields.ForeignKeyField('autofin.AttachmentBlob', source_field='blob_id', db_constraint=True, to_field='sha256', related_name='attachments', on_delete=OnDelete.RESTRICT)),
                ('filename', fields.CharField(max_length=200)),
                ('content_type', fields.CharField(max_length=32)),
                ('size', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message_attachments', 'app': 'autofin', 'indexes': [Index(fields=['message_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['last_name', 'date_of_birth']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['phone']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['ssn_last4']),
        ),
        ops.AlterField(
            model_name='Notification',
            name='category',
            field=fields.CharEnumField(description='PAYMENT_CONFIRMATIONS: PAYMENT_CONFIRMATIONS\nPAYMENT_REMINDERS: PAYMENT_REMINDERS\nSTATEMENTS_READY: STATEMENTS_READY\nSECURITY_ALERTS: SECURITY_ALERTS\nPAYMENT_PROBLEMS: PAYMENT_PROBLEMS\nPLAN_CHANGES: PLAN_CHANGES\nNEW_CONTRACTS: NEW_CONTRACTS\nSECURE_MESSAGES: SECURE_MESSAGES\nACCOUNT_CORRECTIONS: ACCOUNT_CORRECTIONS', enum_type=NotificationCategory, max_length=24),
        ),
    ]
