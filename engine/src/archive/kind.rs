//! What a DDL item is: its [`Kind`] (profiles, toggles and restore filters select by it) and
//! the restore [`Section`] it belongs to.

use serde::{Deserialize, Serialize};

/// Where a DDL item belongs in a restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// Objects that must exist before data is loaded (schemas, types, tables, sequences).
    PreData,
    /// Table contents and sequence values.
    Data,
    /// Objects built after the data (indexes, constraints, foreign keys).
    PostData,
}

impl Section {
    /// The name users type (`pre-data`, `data`, `post-data`).
    pub fn name(self) -> &'static str {
        match self {
            Section::PreData => "pre-data",
            Section::Data => "data",
            Section::PostData => "post-data",
        }
    }
}

/// What a DDL item creates; profiles and restore filters select by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `CREATE SCHEMA`.
    Schema,
    /// `CREATE EXTENSION`.
    Extension,
    /// `CREATE TYPE` / `CREATE DOMAIN`.
    Type,
    /// `CREATE SEQUENCE`.
    Sequence,
    /// `ALTER SEQUENCE … OWNED BY`.
    SequenceOwnedBy,
    /// `SELECT setval(…)`.
    SequenceSet,
    /// `CREATE TABLE`.
    Table,
    /// Primary key, unique, check and exclusion constraints added after the data.
    Constraint,
    /// Foreign keys.
    ForeignKey,
    /// `CREATE INDEX`.
    Index,
    /// `CREATE FUNCTION` / `CREATE PROCEDURE`.
    Function,
    /// `CREATE AGGREGATE`.
    Aggregate,
    /// `CREATE VIEW`.
    View,
    /// `CREATE MATERIALIZED VIEW … WITH NO DATA`.
    MaterializedView,
    /// `REFRESH MATERIALIZED VIEW` (only for views that were populated).
    Refresh,
    /// `CREATE TRIGGER` (and its enabled state).
    Trigger,
    /// `CREATE RULE`.
    Rule,
    /// `ALTER TABLE … ENABLE / FORCE ROW LEVEL SECURITY`.
    RowSecurity,
    /// `CREATE POLICY`.
    Policy,
    /// `COMMENT ON`.
    Comment,
    /// `ALTER … OWNER TO`.
    Owner,
    /// `GRANT` / `REVOKE`.
    Grant,
    /// `CREATE FOREIGN DATA WRAPPER` / `CREATE SERVER`.
    ForeignServer,
    /// `CREATE USER MAPPING` (never with a password).
    UserMapping,
    /// `ALTER DATABASE … SET` (applied to the database restored into).
    DatabaseSetting,
    /// `CREATE EVENT TRIGGER`.
    EventTrigger,
    /// `CREATE COLLATION`.
    Collation,
    /// `ALTER DEFAULT PRIVILEGES`.
    DefaultPrivileges,
    /// `CREATE PUBLICATION` and its tables.
    Publication,
    /// `CREATE CAST`.
    Cast,
    /// `CREATE TEXT SEARCH CONFIGURATION / DICTIONARY`.
    TextSearch,
    /// `CREATE LANGUAGE` (for languages no extension brings).
    Language,
    /// `CREATE STATISTICS`.
    Statistics,
    /// `CREATE ACCESS METHOD`.
    AccessMethod,
    /// `CREATE OPERATOR`.
    Operator,
    /// `CREATE OPERATOR FAMILY` and its loose members.
    OperatorFamily,
    /// `CREATE OPERATOR CLASS`.
    OperatorClass,
    /// `CREATE CONVERSION`.
    Conversion,
    /// `CREATE TRANSFORM`.
    Transform,
    /// `CREATE SUBSCRIPTION` (not connected, never with a password).
    Subscription,
    /// `lo_create` of large objects (their contents are data).
    LargeObject,
    /// `SECURITY LABEL` (restores need the label provider loaded in the target).
    SecurityLabel,
}

impl Kind {
    /// Every kind, in a stable order.
    pub const ALL: [Kind; 42] = [
        Kind::Schema,
        Kind::Extension,
        Kind::Type,
        Kind::Sequence,
        Kind::SequenceOwnedBy,
        Kind::SequenceSet,
        Kind::Table,
        Kind::Constraint,
        Kind::ForeignKey,
        Kind::Index,
        Kind::Function,
        Kind::Aggregate,
        Kind::View,
        Kind::MaterializedView,
        Kind::Refresh,
        Kind::Trigger,
        Kind::Rule,
        Kind::RowSecurity,
        Kind::Policy,
        Kind::Comment,
        Kind::Owner,
        Kind::Grant,
        Kind::ForeignServer,
        Kind::UserMapping,
        Kind::DatabaseSetting,
        Kind::EventTrigger,
        Kind::Collation,
        Kind::DefaultPrivileges,
        Kind::Publication,
        Kind::Cast,
        Kind::TextSearch,
        Kind::Language,
        Kind::Statistics,
        Kind::AccessMethod,
        Kind::Operator,
        Kind::OperatorFamily,
        Kind::OperatorClass,
        Kind::Conversion,
        Kind::Transform,
        Kind::Subscription,
        Kind::LargeObject,
        Kind::SecurityLabel,
    ];

    /// The kind named `name` (as `name()` prints it).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kinds a `--no-X` toggle leaves out: functions, rls, triggers, indexes, constraints,
    /// views.
    pub fn toggle(name: &str) -> Option<&'static [Kind]> {
        Some(match name {
            "functions" => &[Kind::Function, Kind::Aggregate],
            "rls" => &[Kind::RowSecurity, Kind::Policy],
            "triggers" => &[Kind::Trigger, Kind::EventTrigger],
            "indexes" => &[Kind::Index],
            "constraints" => &[Kind::Constraint, Kind::ForeignKey],
            "views" => &[Kind::View, Kind::MaterializedView, Kind::Refresh],
            "privileges" => &[Kind::Grant, Kind::DefaultPrivileges],
            "comments" => &[Kind::Comment],
            "owners" => &[Kind::Owner],
            "publications" => &[Kind::Publication],
            "subscriptions" => &[Kind::Subscription],
            _ => return None,
        })
    }

    /// The kind's name as shown by `restore --list`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Extension => "extension",
            Kind::Type => "type",
            Kind::Sequence => "sequence",
            Kind::SequenceOwnedBy => "sequence-owned-by",
            Kind::SequenceSet => "sequence-set",
            Kind::Table => "table",
            Kind::Constraint => "constraint",
            Kind::ForeignKey => "foreign-key",
            Kind::Index => "index",
            Kind::Function => "function",
            Kind::Aggregate => "aggregate",
            Kind::View => "view",
            Kind::MaterializedView => "materialized-view",
            Kind::Refresh => "refresh",
            Kind::Trigger => "trigger",
            Kind::Rule => "rule",
            Kind::RowSecurity => "row-security",
            Kind::Policy => "policy",
            Kind::Comment => "comment",
            Kind::Owner => "owner",
            Kind::Grant => "grant",
            Kind::ForeignServer => "foreign-server",
            Kind::UserMapping => "user-mapping",
            Kind::DatabaseSetting => "database-setting",
            Kind::EventTrigger => "event-trigger",
            Kind::Collation => "collation",
            Kind::DefaultPrivileges => "default-privileges",
            Kind::Publication => "publication",
            Kind::Cast => "cast",
            Kind::TextSearch => "text-search",
            Kind::Language => "language",
            Kind::Statistics => "statistics",
            Kind::AccessMethod => "access-method",
            Kind::Operator => "operator",
            Kind::OperatorFamily => "operator-family",
            Kind::OperatorClass => "operator-class",
            Kind::Conversion => "conversion",
            Kind::Transform => "transform",
            Kind::Subscription => "subscription",
            Kind::LargeObject => "large-object",
            Kind::SecurityLabel => "security-label",
        }
    }
}
