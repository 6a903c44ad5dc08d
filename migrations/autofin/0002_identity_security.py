from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import SessionScope, TokenPurpose
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('autofin', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AttemptCounter',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=200)),
                ('failures', fields.IntField(default=0)),
                ('window_started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attempt_counters', 'app': 'autofin', 'pk_attr': 'id', 'table_description': 'Failures counted by what the caller typed (login name, contract number) or by IP,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('last_hash', fields.CharField(max_length=64)),
                ('last_event_id', fields.BigIntField(default=0)),
            ],
            options={'table': 'audit_chain_head', 'app': 'autofin', 'pk_attr': 'id', 'table_description': 'One row, locked while an event is appended, so concurrent writers cannot fork the chain.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('action', fields.CharField(max_length=48)),
                ('actor', fields.ForeignKeyField('autofin.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_actions', on_delete=OnDelete.RESTRICT)),
                ('subject', fields.ForeignKeyField('autofin.User', source_field='subject_id', null=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.RESTRICT)),
                ('ip', fields.CharField(default='', max_length=45)),
                ('user_agent', fields.CharField(default='', max_length=255)),
                ('request_id', fields.CharField(default='', max_length=64)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('prev_hash', fields.CharField(max_length=64)),
                ('hash', fields.CharField(unique=True, max_length=64)),
            ],
            options={'table': 'audit_events', 'app': 'autofin', 'indexes': [Index(fields=['subject_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': "Append-only: the application never updates or deletes a row. Each row's hash covers the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CommunicationPreferences',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('autofin.User', source_field='user_id', db_constraint=True, to_field='id', related_name='preferences', on_delete=OnDelete.CASCADE)),
                ('payment_reminders', fields.BooleanField(default=True)),
                ('payment_confirmations', fields.BooleanField(default=True)),
                ('statements_ready', fields.BooleanField(default=True)),
                ('marketing', fields.BooleanField(default=False)),
                ('paperless_statements', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'communication_preferences', 'app': 'autofin', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='KnownDevice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('autofin.User', source_field='user_id', db_constraint=True, to_field='id', related_name='known_devices', on_delete=OnDelete.CASCADE)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('first_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'known_devices', 'app': 'autofin', 'unique_together': (('user', 'fingerprint'),), 'pk_attr': 'id', 'table_description': 'Browsers and networks a user has signed in from. A new one triggers a "new sign-in" email.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OneTimeToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharEnumField(description='EMAIL_VERIFICATION: EMAIL_VERIFICATION\nREGISTRATION_LINK: REGISTRATION_LINK\nPASSWORD_RESET: PASSWORD_RESET\nMFA_CHALLENGE: MFA_CHALLENGE\nSTAFF_SETUP: STAFF_SETUP\nEMAIL_CHANGE: EMAIL_CHANGE', enum_type=TokenPurpose, max_length=24)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('autofin.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('autofin.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'one_time_tokens', 'app': 'autofin', 'pk_attr': 'id', 'table_description': 'A single-use token (email links, MFA challenge). Only its SHA-256 is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('autofin.User', source_field='user_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(max_length=64)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'recovery_codes', 'app': 'autofin', 'unique_together': (('user', 'code_hash'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Session',
            name='reauthenticated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Session',
            name='scope',
            field=fields.CharEnumField(default=SessionScope.FULL, description='FULL: FULL\nMFA_ENROLMENT: MFA_ENROLMENT', enum_type=SessionScope, max_length=16),
        ),
        ops.AddField(
            model_name='User',
            name='mfa_enabled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='mfa_last_step',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='User',
            name='mfa_pending_secret_encrypted',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='User',
            name='mfa_secret_encrypted',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='User',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
