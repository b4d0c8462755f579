"""Models in the classic declarative style, with Table objects."""
import datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import declared_attr, relationship

Base = declarative_base()
metadata = MetaData()


class TableNameMixin(object):
    @declared_attr
    def __tablename__(cls):
        return cls.__name__.lower()

    id = Column(Integer, primary_key=True)


class AuditBase(Base):
    __abstract__ = True

    created = Column(DateTime, default=datetime.datetime.utcnow, nullable=False)
    created_by = Column(String(64))


class Account(TableNameMixin, AuditBase):
    name = Column(String(120), nullable=False, index=True)
    active = Column(Boolean, server_default=text("true"), nullable=False)
    notes = Column(Text)  # free text, may be long


class Employee(Base):
    __tablename__ = "employee"

    id = Column(Integer, primary_key=True)
    kind = Column(String(20))
    name = Column(String(50))
    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "employee"}


class Manager(Employee):
    """Single-table inheritance: its columns live in `employee`."""

    budget = Column(Integer)
    __mapper_args__ = {"polymorphic_identity": "manager"}


class Engineer(Employee):
    """Joined-table inheritance: its own table."""

    __tablename__ = "engineer"
    id = Column(Integer, ForeignKey("employee.id"), primary_key=True)
    language = Column("primary_language", String(30))


class Address(Base):
    __tablename__ = "addresses"
    __table_args__ = (
        PrimaryKeyConstraint("account_id", "position", name="pk_addresses"),
        ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
    )

    account_id = Column(Integer)
    position = Column(Integer)
    street = Column(String(200), nullable=False)
    account = relationship("Account", backref="addresses")


Index("ix_addresses_street", Address.street)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("account.id")),
    Column("message", Text, nullable=False),
    Index("ix_audit_log_account", "account_id"),
    schema="audit",
)
