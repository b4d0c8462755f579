use super::resolve::camel_to_snake;
use super::*;

fn schema(src: &str) -> Schema {
    extract_source("m.py", src.as_bytes()).unwrap()
}

/// The rendered schema of a realistic model file in
/// `tests/fixtures/models/`.
fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/models/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    extract_source(name, &bytes).unwrap().render()
}

#[test]
fn snapshot_declarative_2_0() {
    insta::assert_snapshot!(fixture("declarative_2_0.py"));
}

#[test]
fn snapshot_classic() {
    insta::assert_snapshot!(fixture("classic.py"));
}

#[test]
fn snapshot_flask() {
    insta::assert_snapshot!(fixture("flask_models.py"));
}

#[test]
fn snapshot_sqlmodel() {
    insta::assert_snapshot!(fixture("sqlmodel_models.py"));
}

#[test]
fn flask_table_names_follow_flask_sqlalchemy() {
    assert_eq!(camel_to_snake("User"), "user");
    assert_eq!(camel_to_snake("UserRole"), "user_role");
    assert_eq!(camel_to_snake("HTTPLog"), "http_log");
    assert_eq!(camel_to_snake("OAuth2Token"), "o_auth2_token");
}

#[test]
fn declarative_2_0_nullability_comes_from_the_annotation() {
    let s = schema(
        "class User(Base):\n    __tablename__ = 'users'\n    id: Mapped[int] = mapped_column(primary_key=True)\n    name: Mapped[str]\n    bio: Mapped[Optional[str]]\n    nick: Mapped[str | None] = mapped_column(String(30))\n    age: Mapped[Union[int, None]]\n    forced: Mapped[Optional[str]] = mapped_column(nullable=False)\n",
    );
    let t = s.table("users").unwrap();
    let got: Vec<_> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.type_.as_deref().unwrap(), c.nullable))
        .collect();
    assert_eq!(
        got,
        [
            ("id", "Integer", false),
            ("name", "String", false),
            ("bio", "String", true),
            ("nick", "String(30)", true),
            ("age", "Integer", true),
            ("forced", "String", false),
        ]
    );
    assert_eq!(t.primary_key, ["id"]);
}

/// Issue 25: `Mapped[list[str] | None]` was read as NOT NULL, and
/// fields declared only for type checkers as columns.
#[test]
fn generic_types_with_none_are_nullable_and_type_checking_fields_are_not_columns() {
    let s = schema(
        "class Doc(Base):\n    __tablename__ = 'docs'\n    id: Mapped[int] = mapped_column(primary_key=True)\n    tags: Mapped[list[str] | None] = mapped_column(ARRAY(String))\n    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)\n    if TYPE_CHECKING:\n        owner_name: Mapped[str]\n",
    );
    let t = s.table("docs").unwrap();
    let got: Vec<_> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.nullable))
        .collect();
    assert_eq!(got, [("id", false), ("tags", true), ("meta", true)]);
}

#[test]
fn relationships_methods_and_properties_are_not_columns() {
    let s = schema(
        "class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    posts: Mapped[list['Post']] = relationship(back_populates='user')\n    org: Mapped['Org'] = relationship()\n    tags: Mapped[List[Tag]]\n    parent: Mapped[Post]\n    def greet(self):\n        return 1\n    @property\n    def upper(self):\n        return 2\nclass Post(Base):\n    __tablename__ = 'posts'\n    id = Column(Integer, primary_key=True)\nclass Tag(Base):\n    __tablename__ = 'tags'\n    id = Column(Integer, primary_key=True)\n",
    );
    let names: Vec<_> = s.tables[0]
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["id"]);
}

#[test]
fn sqlmodel_fields_with_plain_defaults_are_columns() {
    let s = schema(
        "class Hero(SQLModel, table=True):\n    id: int | None = Field(default=None, primary_key=True)\n    power: str | None = None\n    rank: int = 0\n    team: Optional[Team] = Relationship(back_populates='heroes')\n",
    );
    let cols: Vec<_> = s.tables[0]
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.nullable))
        .collect();
    assert_eq!(cols, [("id", false), ("power", true), ("rank", false)]);
}

#[test]
fn real_world_shapes() {
    // A base that says it maps no table (Superset's BaseDatasource).
    let s = schema(
        "class BaseDatasource(AuditMixin):\n    __tablename__: str | None = None\n    id = Column(Integer, primary_key=True)\nclass SqlaTable(BaseDatasource, Model):\n    __tablename__ = 'tables'\n    name = Column(String(250))\n",
    );
    let names: Vec<_> = s.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["tables"]);
    assert_eq!(s.tables[0].primary_key, ["id"]);
    // Imperative tables assigned to a class attribute (Galaxy), and an
    // f-string index name (MLflow).
    let s = schema(
        "class Job(Base):\n    pass\nJob.table = Table('job', metadata, Column('id', Integer, primary_key=True), Column('state', String(64)), Index(f'ix_{x}_state', 'state'))\nIndex('ix_job_id_state', Job.table.c.id, Job.table.c.state)\n",
    );
    let t = s.table("job").unwrap();
    assert_eq!(t.columns.len(), 2);
    let idx: Vec<_> = t.indexes.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        idx,
        [
            "index f\"ix_{x}_state\" (state)",
            "index ix_job_id_state (id, state)"
        ]
    );
}

#[test]
fn broken_files_do_not_panic() {
    let s = schema("class User(Base:\n    __tablename__ = 'users'\n    id = Column(Integer\n");
    let _ = s.render();
    let s = schema(
        "class A(A):\n    x = Column(Integer)\nclass B(C):\n    pass\nclass C(B):\n    pass\n",
    );
    let _ = s.render();
}

/// Issue 25, CTFd's plugins: a Flask-SQLAlchemy subclass that declares its
/// own primary key has its own table (joined-table inheritance).
#[test]
fn flask_subclasses_with_their_own_primary_key_have_their_own_table() {
    let s = schema(
        "class Challenges(db.Model):\n    __tablename__ = 'challenges'\n    id = db.Column(db.Integer, primary_key=True)\n    type = db.Column(db.String(80))\nclass DynamicChallenge(Challenges):\n    __mapper_args__ = {'polymorphic_identity': 'dynamic'}\n    id = db.Column(None, db.ForeignKey('challenges.id', ondelete='CASCADE'), primary_key=True)\n    initial = db.Column(db.Integer, default=0)\nclass Standard(Challenges):\n    __mapper_args__ = {'polymorphic_identity': 'standard'}\n    points = db.Column(db.Integer)\n",
    );
    let tables: Vec<_> = s
        .tables
        .iter()
        .map(|t| {
            let cols: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
            (t.name.as_str(), cols)
        })
        .collect();
    assert_eq!(
        tables,
        [
            ("challenges", vec!["id", "type", "points"]),
            ("dynamic_challenge", vec!["id", "initial"]),
        ]
    );
    // Its key takes the parent key's type.
    let id = s.table("dynamic_challenge").unwrap().column("id").unwrap();
    assert_eq!(id.type_.as_deref(), Some("Integer"));
}

/// Issue 25, ckan: annotations on a class mapped imperatively to a
/// `Table` are for type checkers; the table is the `Table`.
#[test]
fn imperatively_mapped_classes_are_their_table() {
    let s = schema(
        "task_status_table = Table('task_status', meta.metadata,\n    Column('id', types.UnicodeText, primary_key=True),\n    Column('entity_type', types.UnicodeText, nullable=False),\n)\nclass TaskStatus(domain_object.DomainObject):\n    id: Mapped[str]\n    entity_type: Mapped[str]\nmeta.registry.map_imperatively(TaskStatus, task_status_table)\n",
    );
    let names: Vec<_> = s.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["task_status"]);
}

#[test]
fn a_partial_of_column_gives_its_keywords_to_every_column() {
    let base = Module::parse(
        b"import functools\nfrom flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\nColumn = functools.partial(db.Column, nullable=False)\n\ndef primary_key(name):\n    key_type, kwargs = KEYS[name]\n    return Column(key_type, primary_key=True, **kwargs)\n",
    )
    .unwrap();
    let models = Module::parse(
        b"from .base import Column, db, primary_key\n\nclass Fav(db.Model):\n    __tablename__ = 'favs'\n    id = primary_key('Fav')\n    kind = Column(db.Unicode(255))\n    note = Column(db.Text, nullable=True)\n    other = db.Column(db.Integer)\n",
    )
    .unwrap();
    let s = extract(&[
        ModelFile {
            path: "app/models/__init__.py",
            module: &models,
        },
        ModelFile {
            path: "app/models/base.py",
            module: &base,
        },
    ]);
    let t = s.table("favs").unwrap();
    assert!(!t.column("kind").unwrap().nullable, "{}", s.render());
    assert!(t.column("note").unwrap().nullable);
    assert!(
        t.column("other").unwrap().nullable,
        "db.Column is not the partial"
    );
    // `**kwargs` is no type.
    assert!(
        !t.column("id")
            .unwrap()
            .type_
            .as_deref()
            .unwrap_or("")
            .contains("kwargs"),
        "{}",
        s.render()
    );
}

#[test]
fn tables_made_in_a_module_level_loop_over_literals_are_read_per_value() {
    let s = schema(
        "from sqlalchemy import Boolean, Column, ForeignKey, Table\n\nfor entity in ('user', 'group'):\n    table = Table(\n        f'{entity}_role_map',\n        Base.metadata,\n        Column(f'{entity}_id', ForeignKey(f'{entity}s.id', ondelete='CASCADE'), primary_key=True),\n        Column('managed', Boolean, default=False),\n    )\n",
    );
    let t = s.table("group_role_map").expect("group_role_map");
    assert_eq!(t.primary_key, ["group_id"]);
    assert_eq!(
        t.column("group_id").unwrap().foreign_keys[0].target,
        "groups.id"
    );
    assert!(t.column("managed").unwrap().nullable);
    assert!(
        s.table("user_role_map")
            .unwrap()
            .column("user_id")
            .is_some()
    );
    // A loop over names that are not literals makes no table.
    let s = schema(
        "for entity in ENTITIES:\n    Table(f'{entity}_map', Base.metadata, Column('id', Integer))\n",
    );
    assert!(s.tables.is_empty(), "{}", s.render());
}

/// Both sides of a change read the same context files through one
/// [`SharedFiles`]: each side's schema is the one [`extract_with`] reads
/// from the whole list, and a change to the base class file (an own
/// file) reaches the subclass in a shared file.
#[test]
fn shared_context_files_give_each_side_the_schema_of_the_whole_list() {
    let parse = |s: &str| Arc::new(crate::python::Module::parse(s.as_bytes()).unwrap());
    let mixin_old = parse(
        "class Stamp:\n    created = Column(DateTime)\nclass Base(DeclarativeBase):\n    @declared_attr.directive\n    def __tablename__(cls):\n        return cls.__name__.lower()\n",
    );
    let mixin_new = parse(
        "from .types import Money\nclass Stamp:\n    created = Column(DateTime)\n    updated = Column(Money)\nclass Base(DeclarativeBase):\n    @declared_attr.directive\n    def __tablename__(cls):\n        return cls.__name__.lower() + 's'\n",
    );
    let user = parse(
        "from .mixins import Stamp\nclass User(Stamp, Base):\n    id = Column(Integer, primary_key=True)\n    role_id = Column(ForeignKey('roles.id'))\nclass Role(Base):\n    __tablename__ = 'roles'\n    id = Column(Integer, primary_key=True)\n",
    );
    let types = parse("class Money(TypeDecorator):\n    impl = Numeric(12, 2)\n");
    let context = [("app/user.py".to_string(), user)];
    let libs = [("app/types.py".to_string(), types)];
    let shared = SharedFiles::new(&context, &libs);
    let mut sides = Vec::new();
    for own in [&mixin_old, &mixin_new] {
        let own = [("app/mixins.py".to_string(), Arc::clone(own))];
        let whole: Vec<_> = own.iter().chain(&context).collect();
        let whole: Vec<ModelFile<'_>> = whole
            .iter()
            .map(|(path, module)| ModelFile { path, module })
            .collect();
        let libs: Vec<ModelFile<'_>> = libs
            .iter()
            .map(|(path, module)| ModelFile { path, module })
            .collect();
        let expected = extract_with(&whole, &libs);
        let got = extract_shared(&own, &shared);
        assert_eq!(format!("{got:?}"), format!("{expected:?}"));
        sides.push(got);
    }
    // The computed name and the mixin's new column reach the class in the
    // shared file on the new side only.
    let (old, new) = (&sides[0], &sides[1]);
    assert!(old.table("user").unwrap().column("updated").is_none());
    assert!(new.table("user").is_none());
    let t = new.table("users").unwrap();
    assert_eq!(
        t.column("updated").and_then(|c| c.type_.as_deref()),
        Some("Numeric(12, 2)")
    );
}

#[test]
fn a_calls_name_is_what_taking_it_apart_gives() {
    let check = |src: &[u8]| -> usize {
        let m = Module::parse(src).unwrap();
        let scan = Scan::new(&ModelFile {
            path: "m.py",
            module: &m,
        });
        let mut calls = 0;
        for n in crate::python::descendants(m.root()) {
            let whole = scan.short_call(n).map(|(name, _)| name);
            assert_eq!(
                scan.call_name(n).map(str::to_string),
                whole,
                "{}",
                m.text(n)
            );
            calls += usize::from(n.kind() == "call");
        }
        calls
    };
    let tricky = b"a()\nsa.Column()\nx.y.z.ForeignKey('t.id')\nf()()\nx[0]()\n(a).b()\na().b()\nself.c.d(1)\n\"s\".join(x)\n(lambda: 1)()\n";
    assert_eq!(check(tricky), 12);
    let dir = format!("{}/tests/fixtures/models", env!("CARGO_MANIFEST_DIR"));
    let mut files = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "py") {
            assert!(check(&std::fs::read(e.path()).unwrap()) > 0);
            files += 1;
        }
    }
    assert!(files > 3, "{files}");
}
