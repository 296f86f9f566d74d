//! Column types as the manifest records them: enough to read a binary COPY stream without the
//! database it came from.

use serde::{Deserialize, Serialize};

/// A column's type as the dump saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnType {
    /// `format_type` of the type with its modifiers (`numeric(10,2)`, `public.mood`).
    pub name: String,
    /// How its binary form is read.
    pub shape: Shape,
}

/// How a type's binary COPY form is read: built-in types by their oid (the same in every
/// database), everything else by what it is built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Shape {
    /// A built-in base type.
    Builtin {
        /// Its oid (below 16384: assigned by initdb).
        oid: u32,
    },
    /// A domain: read as its base type.
    Domain {
        /// The base type.
        base: Box<Shape>,
    },
    /// An enum: its binary form is the label.
    Enum,
    /// An array.
    Array {
        /// The element type.
        elem: Box<Shape>,
    },
    /// A range type.
    Range {
        /// The subtype.
        subtype: Box<Shape>,
    },
    /// A multirange type (PostgreSQL 14+).
    Multirange {
        /// The ranges' subtype.
        subtype: Box<Shape>,
    },
    /// A base type an extension defines, known by its binary send function (`hstore_send`).
    Extension {
        /// The send function's name.
        send: String,
    },
    /// Anything else (composites, pseudo-types): only the text COPY form carries it.
    Other,
}
