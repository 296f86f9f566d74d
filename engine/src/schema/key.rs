//! Object identities: the catalog an object lives in and its oid, as `pg_depend` and
//! `pg_identify_object` name them. Every family tags the items it emits with the key of the
//! object they create, so dependencies, owners, grants and comments find them.

/// Oids of the system catalogs that identify object classes (assigned by initdb, fixed).
pub(crate) mod class {
    pub const REL: u32 = 1259;
    pub const TYPE: u32 = 1247;
    /// Not a catalog: the shell of a base type, created before the functions its definition
    /// names (they take or return the type), its own items never decorated.
    pub const SHELL_TYPE: u32 = 0;
    pub const PROC: u32 = 1255;
    pub const NAMESPACE: u32 = 2615;
    pub const CONSTRAINT: u32 = 2606;
    pub const REWRITE: u32 = 2618;
    pub const TRIGGER: u32 = 2620;
    pub const EXTENSION: u32 = 3079;
    pub const POLICY: u32 = 3256;
    pub const ATTRDEF: u32 = 2604;
    /// `pg_inherits`: an index attached to its partitioned parent (keyed by the child).
    pub const INHERITS: u32 = 2611;
    pub const FDW: u32 = 2328;
    pub const SERVER: u32 = 1417;
    pub const EVENT_TRIGGER: u32 = 3466;
    pub const COLLATION: u32 = 3456;
    pub const PUBLICATION: u32 = 6104;
    pub const CAST: u32 = 2605;
    pub const TS_CONFIG: u32 = 3602;
    pub const TS_DICT: u32 = 3600;
    pub const LANGUAGE: u32 = 2612;
    pub const STATISTICS: u32 = 3381;
    pub const ACCESS_METHOD: u32 = 2601;
    pub const OPERATOR: u32 = 2617;
    pub const OPCLASS: u32 = 2616;
    pub const OPFAMILY: u32 = 2753;
    pub const AMOP: u32 = 2602;
    pub const AMPROC: u32 = 2603;
    pub const CONVERSION: u32 = 2607;
    pub const TRANSFORM: u32 = 3576;
    pub const TS_PARSER: u32 = 3601;
    pub const TS_TEMPLATE: u32 = 3764;
    pub const SUBSCRIPTION: u32 = 6100;
    pub const LARGE_OBJECT: u32 = 2613;
}

/// An object's identity in the catalog: the catalog it lives in and its oid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ObjKey {
    pub class: u32,
    pub oid: u32,
}

impl ObjKey {
    pub fn new(class: u32, oid: u32) -> ObjKey {
        ObjKey { class, oid }
    }
}
