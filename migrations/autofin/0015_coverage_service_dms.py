from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import ContractStatus, CoverageKind, CoverageStatus, DmsObjectKind, NotificationCategory
from models.fields import MoneyField
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('autofin', '0014_support_case_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiCredential',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('dealership', fields.ForeignKeyField('autofin.Dealership', source_field='dealership_id', db_constraint=True, to_field='id', related_name='api_credentials', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('key_id', fields.CharField(unique=True, max_length=32)),
                ('secret_hash', fields.CharField(max_length=128)),
                ('scopes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_by', fields.ForeignKeyField('autofin.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='api_credentials_created', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_by', fields.ForeignKeyField('autofin.User', source_field='revoked_by_id', null=True, db_constraint=True, to_field='id', related_name='api_credentials_revoked', on_delete=OnDelete.RESTRICT)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_credentials', 'app': 'autofin', 'indexes': [Index(fields=['dealership_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'Shown once when created, and only its hash is stored. `key_id` is the public part a request names.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApplicationAddOn',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('autofin.CreditApplication', source_field='application_id', db_constraint=True, to_field='id', related_name='add_ons', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='EXTENDED_WARRANTY: EXTENDED_WARRANTY\nPREPAID_MAINTENANCE: PREPAID_MAINTENANCE\nROADSIDE_ASSISTANCE: ROADSIDE_ASSISTANCE\nGAP: GAP\nTIRE_AND_WHEEL: TIRE_AND_WHEEL', enum_type=CoverageKind, max_length=24)),
                ('provider', fields.CharField(max_length=100)),
                ('plan_name', fields.CharField(max_length=100)),
                ('term_months', fields.SmallIntField()),
                ('mileage_limit', fields.IntField(null=True)),
                ('price', MoneyField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'application_add_ons', 'app': 'autofin', 'unique_together': (('application', 'kind'),), 'pk_attr': 'id', 'table_description': 'A coverage product sold with a financing application: part of the deal structure, so its price'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Coverage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='coverages', on_delete=OnDelete.RESTRICT)),
                ('vehicle', fields.ForeignKeyField('autofin.Vehicle', source_field='vehicle_id', db_constraint=True, to_field='id', related_name='coverages', on_delete=OnDelete.RESTRICT)),
                ('dealership', fields.ForeignKeyField('autofin.Dealership', source_field='dealership_id', db_constraint=True, to_field='id', related_name='coverages_sold', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='EXTENDED_WARRANTY: EXTENDED_WARRANTY\nPREPAID_MAINTENANCE: PREPAID_MAINTENANCE\nROADSIDE_ASSISTANCE: ROADSIDE_ASSISTANCE\nGAP: GAP\nTIRE_AND_WHEEL: TIRE_AND_WHEEL', enum_type=CoverageKind, max_length=24)),
                ('status', fields.CharEnumField(default=CoverageStatus.ACTIVE, description='ACTIVE: ACTIVE\nCANCELLED: CANCELLED', enum_type=CoverageStatus, max_length=12)),
                ('provider', fields.CharField(max_length=100)),
                ('plan_name', fields.CharField(max_length=100)),
                ('provider_phone', fields.CharField(default='', max_length=20)),
                ('start_date', fields.DateField()),
                ('term_months', fields.SmallIntField()),
                ('mileage_limit', fields.IntField(null=True)),
                ('start_odometer', fields.IntField(default=0)),
                ('price', MoneyField()),
                ('sold_at_origination', fields.BooleanField(default=False)),
                ('add_on', fields.OneToOneField('autofin.ApplicationAddOn', source_field='add_on_id', null=True, db_constraint=True, to_field='id', related_name='coverage', on_delete=OnDelete.RESTRICT)),
                ('added_by', fields.ForeignKeyField('autofin.User', source_field='added_by_id', null=True, db_constraint=True, to_field='id', related_name='coverages_added', on_delete=OnDelete.RESTRICT)),
                ('expiry_notice_sent_on', fields.DateField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'coverages', 'app': 'autofin', 'indexes': [Index(fields=['contract_id', 'kind']), Index(fields=['vehicle_id']), Index(fields=['status', 'start_date'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DmsReference',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('dealership', fields.ForeignKeyField('autofin.Dealership', source_field='dealership_id', db_constraint=True, to_field='id', related_name='dms_references', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='DEAL: DEAL\nREPAIR_ORDER: REPAIR_ORDER', enum_type=DmsObjectKind, max_length=16)),
                ('external_id', fields.CharField(max_length=64)),
                ('object_id', fields.BigIntField()),
                ('payload_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'dms_references', 'app': 'autofin', 'unique_together': (('dealership', 'kind', 'external_id'),), 'pk_attr': 'id', 'table_description': "(dealership, kind, the DMS's id) -> the object it made. Unique, so a resend cannot make a second."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceVisit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('vehicle', fields.ForeignKeyField('autofin.Vehicle', source_field='vehicle_id', db_constraint=True, to_field='id', related_name='service_visits', on_delete=OnDelete.RESTRICT)),
                ('dealership', fields.ForeignKeyField('autofin.Dealership', source_field='dealership_id', db_constraint=True, to_field='id', related_name='service_visits', on_delete=OnDelete.RESTRICT)),
                ('visit_date', fields.DateField()),
                ('odometer', fields.IntField()),
                ('parts_total', MoneyField(default=0)),
                ('labour_total', MoneyField(default=0)),
                ('paid_by_coverage', fields.ForeignKeyField('autofin.Coverage', source_field='paid_by_coverage_id', null=True, db_constraint=True, to_field='id', related_name='visits_paid', on_delete=OnDelete.RESTRICT)),
                ('recorded_by', fields.ForeignKeyField('autofin.User', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='service_visits_recorded', on_delete=OnDelete.RESTRICT)),
                ('recorded_by_credential', fields.ForeignKeyField('autofin.ApiCredential', source_field='recorded_by_credential_id', null=True, db_constraint=True, to_field='id', related_name='service_visits', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'service_visits', 'app': 'autofin', 'indexes': [Index(fields=['vehicle_id', 'visit_date', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceOperation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('visit', fields.ForeignKeyField('autofin.ServiceVisit', source_field='visit_id', db_constraint=True, to_field='id', related_name='operations', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(max_length=32)),
                ('description', fields.CharField(max_length=200)),
                ('maintenance_item', fields.CharField(null=True, max_length=32)),
            ],
            options={'table': 'service_operations', 'app': 'autofin', 'indexes': [Index(fields=['visit_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='CommunicationPreferences',
            name='coverage_reminders',
            field=fields.BooleanField(default=True),
        ),
        ops.AlterField(
            model_name='Contract',
            name='status',
            field=fields.CharEnumField(default=ContractStatus.ACTIVE, description='ACTIVE: ACTIVE\nPAID_OFF: PAID_OFF\nMATURED: MATURED\nTERMINATED: TERMINATED\nCHARGED_OFF: CHARGED_OFF', enum_type=ContractStatus, max_length=12),
        ),
        ops.AddField(
            model_name='Contract',
            name='closed_on',
            field=fields.DateField(null=True),
        ),
        ops.AlterField(
            model_name='Notification',
            name='category',
            field=fields.CharEnumField(description='PAYMENT_CONFIRMATIONS: PAYMENT_CONFIRMATIONS\nPAYMENT_REMINDERS: PAYMENT_REMINDERS\nSTATEMENTS_READY: STATEMENTS_READY\nSECURITY_ALERTS: SECURITY_ALERTS\nPAYMENT_PROBLEMS: PAYMENT_PROBLEMS\nPLAN_CHANGES: PLAN_CHANGES\nNEW_CONTRACTS: NEW_CONTRACTS\nSECURE_MESSAGES: SECURE_MESSAGES\nACCOUNT_CORRECTIONS: ACCOUNT_CORRECTIONS\nCOVERAGE_EXPIRING: COVERAGE_EXPIRING', enum_type=NotificationCategory, max_length=24),
        ),
    ]
