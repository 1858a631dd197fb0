"""contacts encrypted at rest

Attendees' and leads' emails and phones, and the outbox's recipients, subjects, bodies and
errors (which can name people and repeat their contacts) become Fernet tokens under
CONTACT_KEYS; RSVPs gain keyed hashes (CONTACT_HASH_KEY) for lookups, and their uniqueness per
occurrence moves to the hashes. Existing rows are encrypted here with the configured keys, so
set them before `flask db upgrade`. Downgrade decrypts them back.

Revision ID: 1168b87191aa
Revises: bb36014b26db
Create Date: 2026-11-29 16:29:02.407042

"""
from alembic import op
import sqlalchemy as sa

from coalition.crypto import ContactKeyError, contact_hash, keys


# revision identifiers, used by Alembic.
revision = '1168b87191aa'
down_revision = 'b3fc87207ba0'
branch_labels = None
depends_on = None

BATCH = 500
#: table -> its encrypted columns (column -> kind of contact, for the hash; None: no hash)
CONTACTS = {
    'rsvps': {'email': 'email', 'phone': 'phone'},
    'delegations': {'lead_email': 'email', 'lead_phone': 'phone'},
    'outgoing_emails': {'recipient': 'email', 'subject': None, 'body_text': None,
                        'body_html': None, 'last_error': None},
}
OLD_TYPES = {
    'email': sa.VARCHAR(length=254), 'phone': sa.VARCHAR(length=20),
    'lead_email': sa.VARCHAR(length=254), 'lead_phone': sa.VARCHAR(length=20),
    'recipient': sa.VARCHAR(length=254), 'subject': sa.VARCHAR(length=300),
    'body_text': sa.Text(), 'body_html': sa.Text(), 'last_error': sa.Text(),
}
NULLABLE = {'recipient': False, 'subject': False, 'body_text': False}


def _is_token(value):
    try:
        keys().decrypt(value)
    except ContactKeyError:
        return False
    return True


def _convert(table_name, columns, convert, with_hashes=False):
    """Rewrite every non-null contact of `table_name` through `convert`, in batches by id."""
    bind = op.get_bind()
    table = sa.table(table_name, sa.column('id'), *(sa.column(c) for c in columns),
                     *(sa.column(f'{c}_hash') for c in columns if with_hashes))
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, *(table.c[c] for c in columns))
            .where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            values = {}
            for column, kind in columns.items():
                value = getattr(row, column)
                if value is None:
                    continue
                values[column] = convert(value)
                if with_hashes and kind is not None:
                    plain = value if not _is_token(value) else keys().decrypt(value)
                    values[f'{column}_hash'] = contact_hash(kind, plain)
            if values:
                bind.execute(sa.update(table).where(table.c.id == row.id).values(**values))
        last_id = rows[-1].id


def upgrade():
    for table_name, columns in CONTACTS.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            if table_name == 'rsvps':
                batch_op.drop_index('uq_rsvps_occurrence_email', sqlite_where=sa.text('email IS NOT NULL'), postgresql_where=sa.text('email IS NOT NULL'))
                batch_op.drop_index('uq_rsvps_occurrence_phone', sqlite_where=sa.text('phone IS NOT NULL'), postgresql_where=sa.text('phone IS NOT NULL'))
                batch_op.add_column(sa.Column('email_hash', sa.String(length=64), nullable=True))
                batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
            for column in columns:
                if not isinstance(OLD_TYPES[column], sa.Text):
                    batch_op.alter_column(column, existing_type=OLD_TYPES[column], type_=sa.Text(),
                                          existing_nullable=NULLABLE.get(column, True))

    def encrypt(value):
        return value if _is_token(value) else keys().encrypt(value)

    for table_name, columns in CONTACTS.items():
        _convert(table_name, columns, encrypt, with_hashes=table_name == 'rsvps')

    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.create_index('uq_rsvps_occurrence_email_hash', ['occurrence_id', 'email_hash'], unique=True, sqlite_where=sa.text('email_hash IS NOT NULL'), postgresql_where=sa.text('email_hash IS NOT NULL'))
        batch_op.create_index('uq_rsvps_occurrence_phone_hash', ['occurrence_id', 'phone_hash'], unique=True, sqlite_where=sa.text('phone_hash IS NOT NULL'), postgresql_where=sa.text('phone_hash IS NOT NULL'))


def downgrade():
    def decrypt(value):
        return keys().decrypt(value) if _is_token(value) else value

    for table_name, columns in CONTACTS.items():
        _convert(table_name, columns, decrypt)

    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.drop_index('uq_rsvps_occurrence_phone_hash', sqlite_where=sa.text('phone_hash IS NOT NULL'), postgresql_where=sa.text('phone_hash IS NOT NULL'))
        batch_op.drop_index('uq_rsvps_occurrence_email_hash', sqlite_where=sa.text('email_hash IS NOT NULL'), postgresql_where=sa.text('email_hash IS NOT NULL'))
        batch_op.drop_column('phone_hash')
        batch_op.drop_column('email_hash')
    for table_name, columns in CONTACTS.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for column in columns:
                if not isinstance(OLD_TYPES[column], sa.Text):
                    batch_op.alter_column(column, existing_type=sa.Text(), type_=OLD_TYPES[column],
                                          existing_nullable=NULLABLE.get(column, True))
            if table_name == 'rsvps':
                batch_op.create_index('uq_rsvps_occurrence_email', ['occurrence_id', 'email'], unique=True, sqlite_where=sa.text('email IS NOT NULL'), postgresql_where=sa.text('email IS NOT NULL'))
                batch_op.create_index('uq_rsvps_occurrence_phone', ['occurrence_id', 'phone'], unique=True, sqlite_where=sa.text('phone IS NOT NULL'), postgresql_where=sa.text('phone IS NOT NULL'))
