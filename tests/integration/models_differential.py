"""Differential test of `model-without-migration` against SQLAlchemy and
Alembic themselves.

For every edit of a realistic models file, two verdicts are compared:

- Alembic's: the base models are created in a SQLite database with
  SQLAlchemy, and `alembic.autogenerate.compare_metadata` (what
  `alembic revision --autogenerate` runs, with compare_type and
  compare_server_default on) lists the differences with the edited models;
- dbguard's: in a git repository with the base models committed and an
  Alembic environment, the edited file is staged and `dbguard check
  --select model-without-migration` either refuses it or not.

They must agree, except where Alembic is known to be blind (listed with
each case: check constraints are not compared by autogenerate) and where
dbguard is documented to differ. Random combinations of edits are checked
as well. Usage: models_differential.py DBGUARD [--random N] [--seed S]
"""

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

BASE = '''"""Models of a small shop."""
from datetime import datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("email", name="uq_users_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(50))
    bio: Mapped[Optional[str]] = mapped_column(Text)
    age: Mapped[Optional[int]]
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("1"))

    posts: Mapped[list["Post"]] = relationship(back_populates="author")

    def __repr__(self):
        return f"User({self.email!r})"


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_title", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    author: Mapped["User"] = relationship(back_populates="posts")


class Category(Base):
    __tablename__ = "categories"

    id = sa.Column(sa.Integer, primary_key=True)
    slug = sa.Column(sa.String(40), nullable=False, unique=True)
    parent_id = sa.Column(sa.Integer, sa.ForeignKey("categories.id"))


tags = sa.Table(
    "tags",
    Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(30), nullable=False),
)
'''

NAME = '    name: Mapped[str] = mapped_column(String(50))\n'
BIO = '    bio: Mapped[Optional[str]] = mapped_column(Text)\n'
TITLE = '    title: Mapped[str] = mapped_column(String(200))\n'
LABEL = '    sa.Column("label", sa.String(30), nullable=False),\n'

# (name, [(old, new), ...], known) where known is None when both tools
# must agree, or "alembic-blind" when only dbguard sees the change
# (autogenerate does not compare check constraints, and skips removing
# constraints the database reflects without a name).
CASES = [
    # Cosmetic edits: neither tool sees a schema change.
    ("class docstring", [('    __tablename__ = "users"\n', '    """A customer."""\n\n    __tablename__ = "users"\n')], None),
    ("comments", [(BIO, "    # free text\n" + BIO.rstrip("\n") + "  # markdown\n")], None),
    ("reformat", [(NAME, "    name: Mapped[str] = mapped_column(\n        String( 50 ),\n    )\n")], None),
    ("quotes", [('"posts"', "'posts'")], None),
    ("reorder columns", [(NAME + BIO, BIO + NAME)], None),
    ("new method", [("    def __repr__(self):", "    def initials(self):\n        return self.name[:1]\n\n    @property\n    def adult(self):\n        return (self.age or 0) >= 18\n\n    def __repr__(self):")], None),
    ("relationship edit", [('relationship(back_populates="author")', 'relationship(back_populates="author", lazy="selectin", order_by="Post.id")')], None),
    ("module prefix", [(NAME, "    name: Mapped[str] = mapped_column(sa.String(50))\n")], None),
    ("python default", [(TITLE, '    title: Mapped[str] = mapped_column(String(200), default="untitled")\n')], None),
    ("doc argument", [(TITLE, '    title: Mapped[str] = mapped_column(String(200), doc="shown in lists")\n')], None),
    ("explicit nullable=False on non-optional", [(NAME, "    name: Mapped[str] = mapped_column(String(50), nullable=False)\n")], None),
    ("Optional spelled as union", [(BIO, "    bio: Mapped[str | None] = mapped_column(Text)\n")], None),
    ("classic column keyword order", [("sa.Column(sa.String(40), nullable=False, unique=True)", "sa.Column(sa.String(40), unique=True, nullable=False)")], None),
    # Schema changes: both tools see them.
    ("add column", [(NAME, NAME + "    phone: Mapped[Optional[str]] = mapped_column(String(20))\n")], None),
    ("add bare annotated column", [(NAME, NAME + "    score: Mapped[Optional[int]]\n")], None),
    ("remove column", [(BIO, "")], None),
    ("retype length", [("String(50)", "String(100)")], None),
    ("retype kind", [(BIO, "    bio: Mapped[Optional[str]] = mapped_column(String(500))\n")], None),
    ("retype numeric", [("Numeric(10, 2)", "Numeric(12, 4)")], None),
    ("make not null via annotation", [(BIO, "    bio: Mapped[str] = mapped_column(Text)\n")], None),
    ("make nullable via annotation", [(NAME, "    name: Mapped[Optional[str]] = mapped_column(String(50))\n")], None),
    ("make nullable via keyword", [(TITLE, "    title: Mapped[str] = mapped_column(String(200), nullable=True)\n")], None),
    ("classic nullable", [("sa.Column(sa.String(40), nullable=False, unique=True)", "sa.Column(sa.String(40), nullable=True, unique=True)")], None),
    ("add index=True", [(NAME, "    name: Mapped[str] = mapped_column(String(50), index=True)\n")], None),
    ("add unique=True", [(NAME, "    name: Mapped[str] = mapped_column(String(50), unique=True)\n")], None),
    # Alembic cannot drop a constraint the database reflects without a name
    # (SQLite's inline UNIQUE), so autogenerate skips it; it is a change.
    ("drop classic unique", [("sa.Column(sa.String(40), nullable=False, unique=True)", "sa.Column(sa.String(40), nullable=False)")], "alembic-blind"),
    ("remove unique constraint", [('    __table_args__ = (UniqueConstraint("email", name="uq_users_email"),)\n', "")], None),
    ("rename unique constraint", [('name="uq_users_email"', 'name="uq_users_mail"')], None),
    ("widen unique constraint", [('UniqueConstraint("email", name=', 'UniqueConstraint("email", "name", name=')], None),
    ("remove index", [('    __table_args__ = (Index("ix_posts_title", "title"),)\n', "")], None),
    ("index on more columns", [('Index("ix_posts_title", "title")', 'Index("ix_posts_title", "title", "price")')], None),
    ("unique index", [('Index("ix_posts_title", "title")', 'Index("ix_posts_title", "title", unique=True)')], None),
    ("add foreign key column", [(TITLE, TITLE + '    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("categories.id"))\n')], None),
    ("retarget foreign key", [('ForeignKey("users.id")', 'ForeignKey("categories.id")')], None),
    ("drop foreign key", [('    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))\n', "    author_id: Mapped[int] = mapped_column(Integer)\n")], None),
    ("add table", [("\n\ntags = sa.Table(", '\n\nclass Coupon(Base):\n    __tablename__ = "coupons"\n\n    code: Mapped[str] = mapped_column(String(12), primary_key=True)\n    percent: Mapped[int]\n\n\ntags = sa.Table(')], None),
    ("remove Table()", [(BASE[BASE.index("\n\ntags = sa.Table("):], "\n")], None),
    ("Table() column added", [(LABEL, LABEL + '    sa.Column("color", sa.String(7)),\n')], None),
    ("Table() column nullable", [(LABEL, '    sa.Column("label", sa.String(30), nullable=True),\n')], None),
    ("mixin column added", [("    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())\n", "    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())\n    updated_at: Mapped[Optional[datetime]] = mapped_column(DateTime)\n")], None),
    ("server default changed", [('server_default=text("1")', 'server_default=text("0")')], None),
    ("server default removed", [('mapped_column(Boolean, server_default=text("1"))', "mapped_column(Boolean)")], None),
    ("server default added", [(TITLE, "    title: Mapped[str] = mapped_column(String(200), server_default=\"untitled\")\n")], None),
    ("self-referencing fk removed", [('sa.Column(sa.Integer, sa.ForeignKey("categories.id"))', "sa.Column(sa.Integer)")], None),
    ("explicit column name", [(NAME, '    name: Mapped[str] = mapped_column("full_name", String(50))\n')], None),
    # A non-native enum is a VARCHAR as long as its longest value on
    # SQLite: VARCHAR(200) against 6 characters is a type change.
    ("string to enum", [(TITLE, '    title: Mapped[str] = mapped_column(sa.Enum("draft", "online", name="post_title"))\n')], None),
    # Autogenerate does not compare check constraints; neither does dbguard.
    ("check constraint added", [('    __table_args__ = (Index("ix_posts_title", "title"),)\n', '    __table_args__ = (Index("ix_posts_title", "title"), CheckConstraint("price >= 0", name="ck_posts_price"))\n')], None),
]

# SQLModel keeps one global MetaData, so each of its sources is loaded in
# a fresh interpreter (see `metadata_diff_subprocess`).
SQLMODEL_BASE = '''import uuid
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from pydantic import EmailStr
from sqlmodel import Field, Relationship, SQLModel


class TeamBase(SQLModel):
    name: str = Field(index=True, max_length=100)
    headquarters: str


class Team(TeamBase, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    heroes: list["Hero"] = Relationship(back_populates="team")


class Hero(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    secret_name: str
    age: int | None = Field(default=None, index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    team: Optional[Team] = Relationship(back_populates="heroes")
    token: uuid.UUID = Field(default_factory=uuid.uuid4)


class HeroPublic(TeamBase):
    id: int
'''

SQLMODEL_CASES = [
    ("sqlmodel: docstring", [("class Hero(SQLModel, table=True):\n", "class Hero(SQLModel, table=True):\n    \"\"\"A hero.\"\"\"\n\n")], None),
    ("sqlmodel: non-table schema field", [("class HeroPublic(TeamBase):\n    id: int\n", "class HeroPublic(TeamBase):\n    id: int\n    power: str\n")], None),
    ("sqlmodel: python default", [("    secret_name: str\n", "    secret_name: str = \"unknown\"\n")], None),
    ("sqlmodel: relationship", [('Relationship(back_populates="heroes")', 'Relationship(back_populates="heroes", sa_relationship_kwargs={"lazy": "selectin"})')], None),
    ("sqlmodel: add field", [("    secret_name: str\n", "    secret_name: str\n    power: str | None = None\n")], None),
    ("sqlmodel: field in inherited base", [("    headquarters: str\n", "    headquarters: str\n    motto: str | None = None\n")], None),
    ("sqlmodel: max_length", [("max_length=100", "max_length=200")], None),
    ("sqlmodel: nullable", [("    secret_name: str\n", "    secret_name: str | None = None\n")], None),
    ("sqlmodel: index", [("    secret_name: str\n", "    secret_name: str = Field(index=True)\n")], None),
    ("sqlmodel: foreign key", [('foreign_key="team.id")', 'foreign_key="team.id", ondelete="CASCADE")')], None),
    ("sqlmodel: type", [("    age: int | None = Field(default=None, index=True)\n", "    age: float | None = Field(default=None, index=True)\n")], None),
    ("sqlmodel: remove field", [("    secret_name: str\n", "")], None),
    # Issue 25: EmailStr is an AutoString like str, uuid.UUID a Uuid.
    ("sqlmodel: EmailStr for str", [("    secret_name: str\n", "    secret_name: EmailStr\n")], None),
    ("sqlmodel: uuid spelled", [("    token: uuid.UUID = Field(default_factory=uuid.uuid4)\n", "    token: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=sa.Uuid)\n")], None),
]

# Column types compared by the database type (issue 25): import aliases,
# Python-side wrappers, TypeDecorator subclasses, Annotated aliases and a
# type_annotation_map, in the models file and in a file it imports.
TYPES_MODULE = '''from typing import Annotated

import sqlalchemy as sa
from sqlalchemy import types
from sqlalchemy.orm import mapped_column


class UTCDateTime(types.TypeDecorator):
    impl = types.DateTime
    cache_ok = True


class JsonText(types.TypeDecorator):
    impl = types.UnicodeText
    cache_ok = True


str80 = Annotated[str, mapped_column(sa.String(80))]
'''

TYPES_BASE = '''import uuid
from typing import Annotated, Optional

import sqlalchemy as sa
from sqlalchemy import JSON, String, Text, TypeDecorator
from sqlalchemy import Text as LongText
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shop_types import JsonText, UTCDateTime, str80

str50 = Annotated[str, mapped_column(String(50))]


class GUID(TypeDecorator):
    impl = sa.CHAR(32)
    cache_ok = True


class Base(DeclarativeBase):
    type_annotation_map = {str: String(120)}


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str50]
    title: Mapped[str]
    body: Mapped[Optional[str]] = mapped_column(LongText)
    data = sa.Column(MutableDict.as_mutable(JSON))
    ref = sa.Column(GUID())
    token: Mapped[uuid.UUID]
    created = sa.Column(UTCDateTime)
    label: Mapped[Optional[str80]]
    notes = sa.Column(JsonText)
'''

TYPE_CASES = [
    # The same database type spelled otherwise: no change for either.
    ("types: Annotated alias spelled out", [("    code: Mapped[str50]\n", "    code: Mapped[str] = mapped_column(String(50))\n")], None),
    ("types: type_annotation_map spelled out", [("    title: Mapped[str]\n", "    title: Mapped[str] = mapped_column(String(length=120))\n")], None),
    ("types: import alias", [("mapped_column(LongText)", "mapped_column(Text)")], None),
    ("types: MutableDict wrapper", [("MutableDict.as_mutable(JSON)", "JSON")], None),
    ("types: TypeDecorator spelled as its impl", [("sa.Column(GUID())", "sa.Column(sa.CHAR(32))")], None),
    ("types: Mapped[uuid.UUID] spelled", [("    token: Mapped[uuid.UUID]\n", "    token: Mapped[uuid.UUID] = mapped_column(sa.Uuid(as_uuid=True))\n")], None),
    ("types: imported TypeDecorator spelled as its impl", [("sa.Column(UTCDateTime)", "sa.Column(sa.DateTime)")], None),
    ("types: imported Annotated alias spelled out", [("    label: Mapped[Optional[str80]]\n", "    label: Mapped[Optional[str]] = mapped_column(String(80))\n")], None),
    ("types: imported TypeDecorator to a Unicode spelling", [("sa.Column(JsonText)", "sa.Column(sa.UnicodeText)")], None),
    # Another database type: a change for both.
    ("types: other Annotated alias", [("    code: Mapped[str50]\n", "    code: Mapped[str80]\n")], None),
    ("types: type_annotation_map overridden", [("    title: Mapped[str]\n", "    title: Mapped[str] = mapped_column(Text)\n")], None),
    ("types: TypeDecorator replaced", [("sa.Column(GUID())", "sa.Column(sa.String(40))")], None),
    ("types: imported TypeDecorator replaced", [("sa.Column(JsonText)", "sa.Column(sa.String(20))")], None),
    ("types: wrapped type changed", [("MutableDict.as_mutable(JSON)", "MutableDict.as_mutable(sa.PickleType)")], None),
]

# Edits that can be combined with any other without overlapping it.
COSMETIC = [c for c in CASES if c[0] in {"class docstring", "new method", "relationship edit", "python default", "comments", "quotes"}]


def apply(src, edits):
    for old, new in edits:
        if old not in src:
            raise SystemExit(f"edit does not apply: {old!r}")
        src = src.replace(old, new, 1)
    return src


def load_metadata(src, tag):
    path = os.path.join(tempfile.mkdtemp(), f"models_{tag}.py")
    with open(path, "w") as f:
        f.write(src)
    spec = importlib.util.spec_from_file_location(f"models_{tag}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.Base.metadata


def alembic_changes(base_md, new_src, tag):
    new_md = load_metadata(new_src, tag)
    engine = create_engine("sqlite://")
    base_md.create_all(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(ctx, new_md)


def metadata_diff_subprocess(base_src, new_src):
    """compare_metadata in a fresh interpreter: SQLModel's MetaData is
    global, so two versions of the models cannot share one process."""
    d = tempfile.mkdtemp()
    for name, src in (("base_models.py", base_src), ("new_models.py", new_src)):
        with open(os.path.join(d, name), "w") as f:
            f.write(src)
    code = (
        "import importlib.util, sys\n"
        "from sqlalchemy import create_engine\n"
        "from alembic.migration import MigrationContext\n"
        "from alembic.autogenerate import compare_metadata\n"
        "from sqlmodel import SQLModel\n"
        "def load(p):\n"
        "    SQLModel.metadata.clear()\n"
        "    spec = importlib.util.spec_from_file_location('m' + str(abs(hash(p))), p)\n"
        "    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "    return SQLModel.metadata\n"
        "e = create_engine('sqlite://')\n"
        "load(sys.argv[1]).create_all(e)\n"
        "md = load(sys.argv[2])\n"
        "with e.connect() as c:\n"
        "    ctx = MigrationContext.configure(c, opts={'compare_type': True, 'compare_server_default': True})\n"
        "    print(len(compare_metadata(ctx, md)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, os.path.join(d, "base_models.py"), os.path.join(d, "new_models.py")],
        capture_output=True, text=True,
    )
    if run.returncode != 0:
        raise SystemExit(f"SQLModel comparison failed: {run.stderr}")
    return int(run.stdout.strip().splitlines()[-1])


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repo(base=BASE, extra=None):
    repo = tempfile.mkdtemp()
    git(repo, "init", "-q", "-b", "main")
    for k, v in [("user.name", "T"), ("user.email", "t@example.com"), ("commit.gpgsign", "false"), ("core.autocrlf", "false")]:
        git(repo, "config", k, v)
    files = {
        "backend/alembic.ini": "[alembic]\nscript_location = migrations\n",
        "backend/migrations/env.py": "from alembic import context\n",
        # A stub history: its upgrade() runs a helper dbguard cannot read,
        # so the migrations cannot say what the schema is and the rule
        # judges each change by itself (before/after), which is what this
        # differential measures. replay_differential.py measures the
        # comparison with a real history.
        "backend/migrations/versions/a1_initial.py": "revision = 'a1'\ndown_revision = None\n\ndef upgrade():\n    create_schema(op)\n\ndef downgrade():\n    pass\n",
        "backend/app/models/db_models.py": base,
        **(extra or {}),
    }
    for path, text in files.items():
        full = os.path.join(repo, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "base")
    return repo


def dbguard_changes(dbguard, repo, src):
    path = os.path.join(repo, "backend/app/models/db_models.py")
    with open(path, "w") as f:
        f.write(src)
    git(repo, "add", "backend/app/models/db_models.py")
    run = subprocess.run(
        [dbguard, "check", "--format", "json", "--select", "model-without-migration"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    git(repo, "checkout", "-q", "HEAD", "--", "backend/app/models/db_models.py")
    if run.returncode not in (0, 1):
        raise SystemExit(f"dbguard failed ({run.returncode}): {run.stderr}")
    findings = json.loads(run.stdout)["findings"]
    return [f["message"] for f in findings if f.get("kind") == "no-migration"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dbguard")
    ap.add_argument("--random", type=int, default=40)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    dbguard = os.path.abspath(args.dbguard)

    base_md = load_metadata(BASE, "base")
    assert not alembic_changes(base_md, BASE, "self"), "the base must equal itself"
    repo = make_repo()
    assert not dbguard_changes(dbguard, repo, BASE)

    rng = random.Random(args.seed)
    cases = list(CASES)
    while len(cases) < len(CASES) + args.random:
        a, b = rng.choice(COSMETIC), rng.choice([c for c in CASES if c not in COSMETIC])
        try:
            apply(BASE, a[1] + b[1])
        except SystemExit:
            continue  # the two edits touch the same line
        cases.append((f"{a[0]} + {b[0]}", a[1] + b[1], b[2]))

    failures = []
    agreed = {True: 0, False: 0}
    for n, (name, edits, known) in enumerate(cases):
        src = apply(BASE, edits)
        al = alembic_changes(base_md, src, n)
        dg = dbguard_changes(dbguard, repo, src)
        al_changed, dg_changed = bool(al), bool(dg)
        if known == "alembic-blind":
            ok = dg_changed and not al_changed
        else:
            ok = al_changed == dg_changed
        if ok:
            agreed[dg_changed] += 1
        else:
            failures.append(f"{name}: alembic {al!r} / dbguard {dg!r}")
    # The types cases: the models import `shop_types`, which Python finds
    # on sys.path and dbguard beside the models file.
    types_dir = tempfile.mkdtemp()
    with open(os.path.join(types_dir, "shop_types.py"), "w") as f:
        f.write(TYPES_MODULE)
    sys.path.insert(0, types_dir)
    types_md = load_metadata(TYPES_BASE, "types_base")
    assert not alembic_changes(types_md, TYPES_BASE, "types_self"), "the types base must equal itself"
    repo = make_repo(TYPES_BASE, {"backend/app/models/shop_types.py": TYPES_MODULE})
    assert not dbguard_changes(dbguard, repo, TYPES_BASE)
    for n, (name, edits, known) in enumerate(TYPE_CASES):
        src = apply(TYPES_BASE, edits)
        al = alembic_changes(types_md, src, f"types_{n}")
        dg = dbguard_changes(dbguard, repo, src)
        if bool(al) == bool(dg):
            agreed[bool(dg)] += 1
        else:
            failures.append(f"{name}: alembic {al!r} / dbguard {dg!r}")
    cases += TYPE_CASES
    try:
        import sqlmodel  # noqa: F401
    except ImportError:
        sqlmodel_cases = []
    else:
        sqlmodel_cases = SQLMODEL_CASES
    if sqlmodel_cases:
        repo = make_repo(SQLMODEL_BASE)
        assert metadata_diff_subprocess(SQLMODEL_BASE, SQLMODEL_BASE) == 0
        assert not dbguard_changes(dbguard, repo, SQLMODEL_BASE)
    for name, edits, known in sqlmodel_cases:
        src = apply(SQLMODEL_BASE, edits)
        al_changed = metadata_diff_subprocess(SQLMODEL_BASE, src) > 0
        dg = dbguard_changes(dbguard, repo, src)
        if al_changed == bool(dg):
            agreed[bool(dg)] += 1
        else:
            failures.append(f"{name}: alembic {al_changed} / dbguard {dg!r}")
    cases += sqlmodel_cases
    for f in failures:
        print("DISAGREE", f)
    print(f"models differential: {len(cases)} edits, {agreed[True]} schema changes and "
          f"{agreed[False]} cosmetic edits agreed, {len(failures)} disagreements")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
