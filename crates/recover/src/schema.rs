//! The table to carve: its row in `sqlite_schema` and the column list of its `CREATE TABLE`
//! text, and the rules a carved record must satisfy to count as a row of it.
//!
//! Invariants: the SQL text is tokenized and its column list parsed, never executed. Column
//! names, declared types, `NOT NULL`, the primary key and generated columns come from that
//! parse; the type affinity follows SQLite's rules (<https://www.sqlite.org/datatype3.html>,
//! section 3.1). A column declared `INTEGER PRIMARY KEY` is the rowid's alias: SQLite stores
//! NULL in the record for it. A `VIRTUAL` generated column is not stored. `WITHOUT ROWID`
//! tables (records in an index b-tree, in key order) are refused with a typed error.
//!
//! The AEF/1 members with a fixed shape (SPEC section 1) tighten the plausibility rules by
//! name: `seq` must be an integer >= 1, `hash` and `prev_hash` 64 hexadecimal digits. These
//! rules, more than anything, keep random bytes from passing for a record.

use crate::btree::{cell_payload, parse_cell, walk_tree, PageSource, LEAF_TABLE};
use crate::error::RecoverError;
use crate::pages::PageSet;
use crate::record::{decode_record, SqlValue};

/// A column's type affinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

impl Affinity {
    /// SQLite's rules, in their order, over the declared type.
    pub fn of(declared_type: &str) -> Affinity {
        let t = declared_type.to_ascii_uppercase();
        if t.contains("INT") {
            Affinity::Integer
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Affinity::Text
        } else if t.contains("BLOB") || t.trim().is_empty() {
            Affinity::Blob
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }
}

/// What a column's value must look like beyond its affinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRule {
    Any,
    /// An integer >= 1 (`seq`).
    PositiveInteger,
    /// 64 hexadecimal digits (`hash`, `prev_hash`).
    Hex64,
}

/// One column of the table, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub declared_type: String,
    pub affinity: Affinity,
    pub not_null: bool,
    /// `INTEGER PRIMARY KEY`: the record holds NULL, the value is the rowid.
    pub rowid_alias: bool,
    /// False for a `VIRTUAL` generated column, which records do not hold.
    pub stored: bool,
    pub rule: ColumnRule,
}

/// The table being carved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub root_page: u32,
    pub sql: String,
    pub columns: Vec<Column>,
}

impl Table {
    /// The columns a record of this table holds, in record order.
    pub fn stored_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.stored)
    }
}

/// One row of `sqlite_schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaEntry {
    pub kind: String,
    pub name: String,
    pub root_page: u32,
    pub sql: Option<String>,
}

/// At most this many schema rows are read (a real schema has a few dozen).
const MAX_SCHEMA_ROWS: usize = 100_000;

/// Reads every row of `sqlite_schema` (the table b-tree rooted at page 1).
pub(crate) fn read_schema<S: PageSource>(
    src: &mut S,
    page_size: usize,
    usable: usize,
    max_record_bytes: u64,
) -> Result<Vec<SchemaEntry>, RecoverError> {
    let mut entries = Vec::new();
    let mut visited = PageSet::new(0);
    walk_tree(
        src,
        1,
        page_size,
        usable,
        &mut visited,
        &mut |src, _, image, header| {
            if header.kind != LEAF_TABLE {
                return Ok(());
            }
            for at in header.cell_offsets(image, usable).collect::<Vec<_>>() {
                if entries.len() >= MAX_SCHEMA_ROWS {
                    break;
                }
                let Some(cell) = parse_cell(image, at, LEAF_TABLE, usable) else {
                    continue;
                };
                let mut pages = Vec::new();
                let payload = cell_payload(
                    src,
                    image,
                    &cell,
                    page_size,
                    usable,
                    max_record_bytes,
                    &mut pages,
                )?;
                let Some(values) = payload.as_deref().and_then(decode_record) else {
                    continue;
                };
                let text = |i: usize| values.get(i).and_then(SqlValue::as_text).map(str::to_owned);
                let root = values.get(3).and_then(SqlValue::as_integer).unwrap_or(0);
                entries.push(SchemaEntry {
                    kind: text(0).unwrap_or_default(),
                    name: text(1).unwrap_or_default(),
                    root_page: u32::try_from(root).unwrap_or(0),
                    sql: text(4),
                });
            }
            Ok(())
        },
    )?;
    Ok(entries)
}

/// Finds `name` among the schema rows and parses its column list.
pub(crate) fn find_table(entries: &[SchemaEntry], name: &str) -> Result<Table, RecoverError> {
    let entry = entries
        .iter()
        .find(|e| e.kind == "table" && e.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| RecoverError::TableNotFound {
            table: name.to_owned(),
        })?;
    let unsupported = |reason: String| RecoverError::UnsupportedTable {
        table: entry.name.clone(),
        page: entry.root_page,
        reason,
    };
    let sql = entry
        .sql
        .clone()
        .ok_or_else(|| unsupported("its sqlite_schema row has no SQL text".into()))?;
    let parsed = parse_create_table(&sql).map_err(unsupported)?;
    if parsed.without_rowid {
        return Err(unsupported(
            "WITHOUT ROWID tables keep rows in an index b-tree, which is not carved".into(),
        ));
    }
    if entry.root_page < 2 {
        return Err(unsupported("it has no root page".into()));
    }
    Ok(Table {
        name: entry.name.clone(),
        root_page: entry.root_page,
        sql,
        columns: parsed.columns,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String, bool),
    Open,
    Close,
    Comma,
    Other,
}

fn tokenize(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let quoted = |i: &mut usize, close: char| {
        let mut text = String::new();
        *i += 1;
        while let Some(&c) = chars.get(*i) {
            *i += 1;
            if c == close {
                if chars.get(*i) == Some(&close) && close != ']' {
                    text.push(c);
                    *i += 1;
                } else {
                    break;
                }
            } else {
                text.push(c);
            }
        }
        text
    };
    while let Some(&c) = chars.get(i) {
        match c {
            '-' if chars.get(i + 1) == Some(&'-') => {
                while chars.get(i).is_some_and(|&c| c != '\n') {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '"' | '`' => out.push(Token::Word(quoted(&mut i, c), true)),
            '[' => out.push(Token::Word(quoted(&mut i, ']'), true)),
            '\'' => {
                quoted(&mut i, '\'');
                out.push(Token::Other);
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' || c == '.' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|&c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.')
                {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect(), false));
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                out.push(Token::Other);
                i += 1;
            }
        }
    }
    out
}

fn keyword(t: Option<&Token>, word: &str) -> bool {
    matches!(t, Some(Token::Word(w, false)) if w.eq_ignore_ascii_case(word))
}

const CONSTRAINT_WORDS: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// The column list of a `CREATE TABLE` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedTable {
    pub columns: Vec<Column>,
    pub without_rowid: bool,
}

/// Parses the column definitions and table options of a `CREATE TABLE` text.
pub(crate) fn parse_create_table(sql: &str) -> Result<ParsedTable, String> {
    let tokens = tokenize(sql);
    let open = tokens
        .iter()
        .position(|t| *t == Token::Open)
        .ok_or("its CREATE TABLE text has no column list")?;
    let mut items: Vec<Vec<Token>> = vec![Vec::new()];
    let mut depth = 1usize;
    let mut close = None;
    for (i, t) in tokens.iter().enumerate().skip(open + 1) {
        match t {
            Token::Open => depth += 1,
            Token::Close => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            Token::Comma if depth == 1 => {
                items.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(item) = items.last_mut() {
            item.push(t.clone());
        }
    }
    let close = close.ok_or("its column list is not closed")?;
    let options = &tokens[close + 1..];
    let without_rowid = options
        .windows(2)
        .any(|w| keyword(w.first(), "WITHOUT") && keyword(w.get(1), "ROWID"));

    let mut columns = Vec::new();
    let mut table_key: Option<Vec<String>> = None;
    let mut column_key_desc = false;
    for item in &items {
        let first = item.first();
        if ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| keyword(first, k))
        {
            if let Some(at) = (0..item.len())
                .find(|&i| keyword(item.get(i), "PRIMARY") && keyword(item.get(i + 1), "KEY"))
            {
                table_key = Some(key_columns(&item[at + 2..]));
            }
            continue;
        }
        let Some(Token::Word(name, _)) = first else {
            return Err("a column definition does not start with a name".into());
        };
        let mut at = 1;
        let mut words = Vec::new();
        while let Some(Token::Word(w, false)) = item.get(at) {
            if CONSTRAINT_WORDS.iter().any(|k| w.eq_ignore_ascii_case(k)) {
                break;
            }
            words.push(w.clone());
            at += 1;
        }
        let mut declared_type = words.join(" ");
        if item.get(at) == Some(&Token::Open) && !words.is_empty() {
            let mut depth = 0usize;
            let mut args = String::new();
            while let Some(t) = item.get(at) {
                at += 1;
                match t {
                    Token::Open => depth += 1,
                    Token::Close => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Token::Word(w, _) => args.push_str(w),
                    Token::Comma => args.push(','),
                    Token::Other => {}
                }
            }
            declared_type = format!("{declared_type}({args})");
        }
        let mut column = Column {
            name: name.clone(),
            affinity: Affinity::of(&declared_type),
            declared_type,
            not_null: false,
            rowid_alias: false,
            stored: true,
            rule: rule_for(name),
        };
        let mut depth = 0usize;
        let mut generated = false;
        let mut primary = false;
        while at < item.len() {
            let t = item.get(at);
            match t {
                Some(Token::Open) => depth += 1,
                Some(Token::Close) => depth = depth.saturating_sub(1),
                _ if depth > 0 => {}
                _ if keyword(t, "NOT") && keyword(item.get(at + 1), "NULL") => {
                    column.not_null = true
                }
                _ if keyword(t, "PRIMARY") && keyword(item.get(at + 1), "KEY") => {
                    primary = true;
                    column_key_desc = keyword(item.get(at + 2), "DESC");
                }
                _ if keyword(t, "AS") => generated = true,
                _ if generated && keyword(t, "STORED") => column.stored = true,
                _ => {}
            }
            at += 1;
        }
        if generated {
            column.stored = item.iter().any(|t| keyword(Some(t), "STORED"));
        }
        if primary {
            table_key = Some(vec![column.name.clone()]);
            if column_key_desc {
                // `INTEGER PRIMARY KEY DESC` is not a rowid alias (a documented quirk).
                table_key = Some(vec![]);
            }
        }
        columns.push(column);
    }
    if let Some(key) = table_key {
        if key.len() == 1 && !without_rowid {
            if let Some(c) = columns
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(&key[0]))
            {
                c.rowid_alias = c.declared_type.eq_ignore_ascii_case("INTEGER");
            }
        }
    }
    if columns.is_empty() {
        return Err("its column list declares no column".into());
    }
    Ok(ParsedTable {
        columns,
        without_rowid,
    })
}

/// The column names of `( a COLLATE x DESC, b, ... )`.
fn key_columns(tokens: &[Token]) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut expect_name = false;
    for t in tokens {
        match t {
            Token::Open => {
                depth += 1;
                expect_name = depth == 1;
            }
            Token::Close => {
                if depth <= 1 {
                    break;
                }
                depth -= 1;
            }
            Token::Comma if depth == 1 => expect_name = true,
            Token::Word(w, _) if expect_name => {
                names.push(w.clone());
                expect_name = false;
            }
            _ => {}
        }
    }
    names
}

fn rule_for(name: &str) -> ColumnRule {
    match name.to_ascii_lowercase().as_str() {
        "seq" => ColumnRule::PositiveInteger,
        "hash" | "prev_hash" => ColumnRule::Hex64,
        _ => ColumnRule::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vector_schema_parses() {
        let sql = "CREATE TABLE audit_log (\n  seq INTEGER NOT NULL, event_id TEXT NOT NULL, \
                   actor_ip TEXT, metadata TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,\n  \
                   PRIMARY KEY (tenant_id, seq))";
        let t = parse_create_table(sql).unwrap();
        assert!(!t.without_rowid);
        let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "seq",
                "event_id",
                "actor_ip",
                "metadata",
                "prev_hash",
                "hash"
            ]
        );
        assert_eq!(t.columns[0].affinity, Affinity::Integer);
        assert_eq!(t.columns[0].rule, ColumnRule::PositiveInteger);
        assert!(t.columns[0].not_null && !t.columns[0].rowid_alias);
        assert!(!t.columns[2].not_null);
        assert_eq!(t.columns[5].rule, ColumnRule::Hex64);
    }

    #[test]
    fn quoting_types_constraints_and_generated_columns() {
        let sql = r#"CREATE TABLE IF NOT EXISTS "a b" (
            "seq" INTEGER PRIMARY KEY, -- the rowid
            [x] VARCHAR(64) DEFAULT 'a,(b' CHECK (x <> 'NOT NULL'),
            `y` /* comment, with comma */ DOUBLE PRECISION NOT NULL,
            z AS (y * 2),
            w INT GENERATED ALWAYS AS (y + 1) STORED,
            v
        ) STRICT"#;
        let t = parse_create_table(sql).unwrap();
        let c = &t.columns;
        assert_eq!(c.len(), 6);
        assert!(c[0].rowid_alias);
        assert_eq!(
            (c[1].name.as_str(), c[1].declared_type.as_str()),
            ("x", "VARCHAR(64)")
        );
        assert_eq!(c[1].affinity, Affinity::Text);
        assert!(!c[1].not_null);
        assert_eq!(c[2].affinity, Affinity::Real);
        assert!(c[2].not_null);
        assert!(!c[3].stored);
        assert!(c[4].stored);
        assert_eq!(c[5].affinity, Affinity::Blob);
    }

    #[test]
    fn rowid_alias_rules() {
        let t = parse_create_table("CREATE TABLE t (id INTEGER PRIMARY KEY DESC, a)").unwrap();
        assert!(!t.columns[0].rowid_alias);
        let t =
            parse_create_table("CREATE TABLE t (id INTEGER, a, PRIMARY KEY (id DESC))").unwrap();
        assert!(t.columns[0].rowid_alias);
        let t = parse_create_table("CREATE TABLE t (id INT PRIMARY KEY, a)").unwrap();
        assert!(!t.columns[0].rowid_alias);
        let t =
            parse_create_table("CREATE TABLE t (id INTEGER PRIMARY KEY, a) WITHOUT ROWID").unwrap();
        assert!(t.without_rowid && !t.columns[0].rowid_alias);
    }

    #[test]
    fn broken_sql_is_an_error_not_a_panic() {
        for sql in [
            "",
            "CREATE TABLE t",
            "CREATE TABLE t (",
            "CREATE TABLE t ()",
            "(((",
            "(,)",
        ] {
            let _ = parse_create_table(sql);
        }
        assert!(parse_create_table("CREATE TABLE t (").is_err());
    }
}
