"""tip_attachments: a browser-playable copy of voice evidence, its state, and the duration of audio and video

Revision ID: 0011
Revises: 0020
Create Date: 2026-12-05

AMR voice notes (and M4A) get a staff copy every browser plays (AAC in M4A, made by ffmpeg in a job);
`playback` says where that stands (pending, retrying, ready, failed, no_tool), `duration_ms` what the tip page
shows beside each player. Files stored before this release have no state: they are served as they were.
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tip_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("playback", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("playback_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("playable_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("playable_mime", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("playable_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("tip_attachments", schema=None) as batch_op:
        for column in ("duration_ms", "playable_size", "playable_mime", "playable_key", "playback_attempts",
                       "playback"):
            batch_op.drop_column(column)
