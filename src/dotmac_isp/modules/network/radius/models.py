"""RADIUS tables: NAS clients, accounting sessions (FreeRADIUS radacct names), the post-auth
log (radpostauth), the CoA/Disconnect outbox, daily usage, and the policy-change log the
servers' caches follow."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.trigram import trigram_index
from dotmac_isp.shared.types import JSONType, UTCDateTime, utcnow

_OPEN = text("acctstoptime IS NULL")
# BIGINT keys on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigSerial = BigInteger().with_variant(Integer, "sqlite")


class NasClient(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """A router that sends us Access and Accounting requests: one address or a whole range."""

    __tablename__ = "radius_nas_clients"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    __audit_exclude__ = frozenset({"secret_encrypted"})

    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))  # normalised: 10.0.0.1/32, 10.1.0.0/24
    secret_encrypted: Mapped[str] = mapped_column(String(512))
    vendor: Mapped[str] = mapped_column(String(16), default="generic")
    coa_port: Mapped[int] = mapped_column(Integer, default=3799)
    require_message_authenticator: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class RadAcct(TenantOwned, Base):
    """One accounting session, with FreeRADIUS's radacct column names and semantics: octet
    counters include the Gigawords (64-bit), acctuniqueid identifies the session."""

    __tablename__ = "radacct"
    __table_args__ = (
        Index("ix_radacct_open_nas", "nas_id", "nasipaddress",
              postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_radacct_tenant_user", "tenant_id", "username", "acctstarttime"),
        Index("ix_radacct_subscription", "subscription_id", "acctstarttime"),
        Index("ix_radacct_tenant_start", "tenant_id", "acctstarttime"),
        Index("ix_radacct_changed", "changed_at"),
        trigram_index("ix_radacct_username_trgm", "username"),
        Index("ix_radacct_tenant_framedip", "tenant_id", "framedipaddress"),
        trigram_index("ix_radacct_mac_trgm", "callingstationid"),
    )

    radacctid: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    # No index of its own on the busiest table: the (tenant_id, ...) indexes below cover it.
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)
    acctsessionid: Mapped[str] = mapped_column(String(253))
    acctuniqueid: Mapped[str] = mapped_column(String(32), unique=True)
    username: Mapped[str] = mapped_column(String(253), default="")
    realm: Mapped[str | None] = mapped_column(String(64), nullable=True)
    nasipaddress: Mapped[str] = mapped_column(String(45))
    nasportid: Mapped[str | None] = mapped_column(String(253), nullable=True)
    nasporttype: Mapped[str | None] = mapped_column(String(32), nullable=True)
    acctstarttime: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acctupdatetime: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acctstoptime: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acctinterval: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    acctsessiontime: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    acctauthentic: Mapped[str | None] = mapped_column(String(32), nullable=True)
    connectinfo_start: Mapped[str | None] = mapped_column(String(253), nullable=True)
    connectinfo_stop: Mapped[str | None] = mapped_column(String(253), nullable=True)
    acctinputoctets: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    acctoutputoctets: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    calledstationid: Mapped[str | None] = mapped_column(String(253), nullable=True)
    callingstationid: Mapped[str | None] = mapped_column(String(253), nullable=True)
    acctterminatecause: Mapped[str | None] = mapped_column(String(32), nullable=True)
    servicetype: Mapped[str | None] = mapped_column(String(32), nullable=True)
    framedprotocol: Mapped[str | None] = mapped_column(String(32), nullable=True)
    framedipaddress: Mapped[str | None] = mapped_column(String(45), nullable=True)
    framedipv6address: Mapped[str | None] = mapped_column(String(45), nullable=True)
    framedipv6prefix: Mapped[str | None] = mapped_column(String(64), nullable=True)
    framedinterfaceid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    delegatedipv6prefix: Mapped[str | None] = mapped_column(String(64), nullable=True)
    class_: Mapped[str | None] = mapped_column("class", String(253), nullable=True)
    nas_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("radius_nas_clients.id", ondelete="SET NULL"), nullable=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="SET NULL"), nullable=True)
    # When we last wrote the row (not a FreeRADIUS column): every accounting write sets it, so
    # the usage roll-up reads only the sessions that changed since its last run.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                        default=utcnow, onupdate=utcnow)
    # The stop time is our inference, not the NAS's word (not a FreeRADIUS column): set when
    # the stale-session job or an Accounting-On/Off closed the session. Only such a stop may
    # be undone by a later Interim-Update or replaced by the NAS's own Stop.
    stop_inferred: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RadPostAuth(TenantOwned, Base):
    """One authentication outcome (radpostauth). No password is ever stored."""

    __tablename__ = "radpostauth"
    __table_args__ = (Index("ix_radpostauth_tenant_date", "tenant_id", "authdate"),
                      Index("ix_radpostauth_tenant_user", "tenant_id", "username"),
                      trigram_index("ix_radpostauth_username_trgm", "username"))

    id: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(253))
    reply: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(253), default="")
    auth_method: Mapped[str] = mapped_column(String(16), default="")
    nasipaddress: Mapped[str] = mapped_column(String(45), default="")
    calledstationid: Mapped[str | None] = mapped_column(String(253), nullable=True)
    callingstationid: Mapped[str | None] = mapped_column(String(253), nullable=True)
    authdate: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    nas_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class CoaRequest(UUIDPrimaryKey, TenantOwned, Base):
    """The outbox of CoA and Disconnect requests, and the audit of what the NAS answered."""

    __tablename__ = "radius_coa_requests"
    __table_args__ = (Index("ix_radius_coa_due", "state", "next_attempt_at"),)

    nas_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("radius_nas_clients.id", ondelete="SET NULL"), nullable=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    radacctid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    username: Mapped[str] = mapped_column(String(253), default="")
    acctsessionid: Mapped[str] = mapped_column(String(253), default="")
    target_address: Mapped[str] = mapped_column(String(45))
    target_port: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    attributes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    response: Mapped[str] = mapped_column(String(16), default="")  # ACK, NAK, timeout, error
    error_cause: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_detail: Mapped[str] = mapped_column(String(255), default="")
    requested_by: Mapped[str] = mapped_column(String(254), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsageMark(Base):
    """A session's cumulative counters as last seen on a day: daily usage is the difference
    between consecutive marks, so the roll-up can run any number of times."""

    __tablename__ = "radius_usage_marks"
    __table_args__ = (Index("ix_radius_usage_marks_sub_day", "subscription_id", "usage_date"),)

    radacctid: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("radacct.radacctid", ondelete="CASCADE"), primary_key=True)
    usage_date: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    subscription_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    input_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    output_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    session_seconds: Mapped[int] = mapped_column(BigInteger, default=0)


class UsageWatermark(Base):
    """How far the usage roll-up has read radacct: the newest changed_at it has seen."""

    __tablename__ = "radius_usage_watermark"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UsageDaily(UUIDPrimaryKey, TenantOwned, Base):
    """Per-subscription usage per UTC day, for data caps and the portal's graph."""

    __tablename__ = "radius_usage_daily"
    __table_args__ = (UniqueConstraint("subscription_id", "usage_date"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="CASCADE"))
    usage_date: Mapped[date] = mapped_column(Date)
    input_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    output_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    session_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DataCapState(TenantOwned, Base):
    """A subscription that reached its plan's data cap in a month: it gets the speed after the
    cap until the month ends."""

    __tablename__ = "radius_data_cap_states"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    used_octets: Mapped[int] = mapped_column(BigInteger)
    capped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PolicyChange(Base):
    """Appended in the same transaction as a change to a NAS, plan or subscription; every
    RADIUS process follows this log to refresh its in-memory policy."""

    __tablename__ = "radius_policy_changes"

    id: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
