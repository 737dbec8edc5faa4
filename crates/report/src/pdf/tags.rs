//! The report's logical structure: the PDF's tag tree (tagged PDF, as PDF/A-3a requires), built
//! from the structure the layout gives every run of text ([`Tag`]).
//!
//! Headings become `H1`-`H3` (titled with their text), text rows one `P` per cell, tables a
//! `Table` of `TR` rows whose cells are `TH` (the column header, scope column) or `TD`. A row
//! split over pages stays one element; a table header repeated on a later page, the footer and
//! every rule, frame and background are artifacts, outside the tree. Reading order is the order
//! the elements first appear on the pages, which is the order of the report.
//!
//! Invariant: every marked-content identifier handed to [`Structure::add`] lands in exactly one
//! element (krilla refuses a document otherwise).

use std::collections::HashMap;
use std::num::NonZeroU16;

use krilla::tagging::{Identifier, TableHeaderScope, Tag as Kind, TagGroup, TagTree};

use super::layout::{Role, Tag};

/// One element of the tree, with the content it holds.
enum Element {
    Heading {
        level: u8,
        title: String,
        content: Vec<Identifier>,
    },
    Paragraph(Vec<Identifier>),
    Table(Vec<TableRow>),
}

struct TableRow {
    header: bool,
    cells: Vec<(u16, Vec<Identifier>)>,
}

/// The tree being built, element by element, in reading order.
#[derive(Default)]
pub(super) struct Structure {
    elements: Vec<Element>,
    /// Headings and paragraphs by (block, cell).
    text: HashMap<(u32, u16), usize>,
    /// Tables by table number.
    tables: HashMap<u32, usize>,
    /// Table rows by block: (element, row).
    rows: HashMap<u32, (usize, usize)>,
}

impl Structure {
    /// Places the content `id` (a run reading `text`) where `tag` says.
    pub(super) fn add(&mut self, tag: Tag, text: &str, id: Identifier) {
        match (tag.role, tag.table) {
            (Role::TableHeader | Role::TableRow, Some(table)) => {
                let element = *self.tables.entry(table).or_insert_with(|| {
                    self.elements.push(Element::Table(Vec::new()));
                    self.elements.len() - 1
                });
                let Element::Table(rows) = &mut self.elements[element] else {
                    unreachable!("tables index Table elements");
                };
                let (_, row) = *self.rows.entry(tag.block).or_insert_with(|| {
                    rows.push(TableRow {
                        header: tag.role == Role::TableHeader,
                        cells: Vec::new(),
                    });
                    (element, rows.len() - 1)
                });
                let cells = &mut rows[row].cells;
                match cells.iter_mut().find(|(cell, _)| *cell == tag.cell) {
                    Some((_, content)) => content.push(id),
                    None => cells.push((tag.cell, vec![id])),
                }
            }
            (role, _) => {
                let key = (tag.block, tag.cell);
                match self.text.get(&key) {
                    Some(&at) => match &mut self.elements[at] {
                        Element::Heading { title, content, .. } => {
                            title.push(' ');
                            title.push_str(text);
                            content.push(id);
                        }
                        Element::Paragraph(content) => content.push(id),
                        Element::Table(_) => unreachable!("text indexes text elements"),
                    },
                    None => {
                        self.elements.push(match role {
                            Role::Heading(level) => Element::Heading {
                                level,
                                title: text.to_string(),
                                content: vec![id],
                            },
                            _ => Element::Paragraph(vec![id]),
                        });
                        self.text.insert(key, self.elements.len() - 1);
                    }
                }
            }
        }
    }

    /// The tag tree.
    pub(super) fn tree(self) -> TagTree {
        let mut tree = TagTree::new();
        for element in self.elements {
            match element {
                Element::Heading {
                    level,
                    title,
                    content,
                } => {
                    let level = NonZeroU16::new(u16::from(level.max(1))).unwrap_or(NonZeroU16::MIN);
                    let mut group = TagGroup::new(Kind::Hn(level, Some(title)));
                    content.into_iter().for_each(|id| group.push(id));
                    tree.push(group);
                }
                Element::Paragraph(content) => {
                    let mut group = TagGroup::new(Kind::P);
                    content.into_iter().for_each(|id| group.push(id));
                    tree.push(group);
                }
                Element::Table(rows) => {
                    let mut table = TagGroup::new(Kind::Table);
                    for row in rows {
                        let mut tr = TagGroup::new(Kind::TR);
                        for (_, content) in row.cells {
                            let mut cell = if row.header {
                                TagGroup::new(Kind::TH(TableHeaderScope::Column))
                            } else {
                                TagGroup::new(Kind::TD)
                            };
                            content.into_iter().for_each(|id| cell.push(id));
                            tr.push(cell);
                        }
                        table.push(tr);
                    }
                    tree.push(table);
                }
            }
        }
        tree
    }
}
