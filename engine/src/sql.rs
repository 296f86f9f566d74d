//! Quoting for the SQL pgark writes: every identifier is quoted and every string is a literal,
//! so any name from the catalog is safe wherever it lands. Every layer uses these; they depend
//! on nothing.

/// Quotes an identifier (always, so any character is safe).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// A SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A comma-separated list of quoted column names.
pub(crate) fn ident_list(names: &[String]) -> String {
    names.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(qualified("Sch", "t"), "\"Sch\".\"t\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(ident_list(&["a".into(), "B".into()]), "\"a\", \"B\"");
    }
}
