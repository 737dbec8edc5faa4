//! Pagination: rows of cells placed down A4 pages, table headers repeated on every page a
//! table spans, groups kept together when they fit on a page, rows taller than a page split
//! between lines. The result is a list of drawing operations per page; nothing is drawn here.

use crate::pdf::text::{Line, Rgb, Run};

/// A4 portrait, in points.
pub(crate) const W: f32 = 595.0;
pub(crate) const H: f32 = 842.0;
pub(crate) const LEFT: f32 = 40.0;
pub(crate) const WIDTH: f32 = W - 2.0 * LEFT;
pub(crate) const TOP: f32 = 40.0;
/// Lowest point of the body; the footer lives below it.
pub(crate) const BOTTOM: f32 = H - 46.0;

/// One drawing operation, in page coordinates (origin top left, y down).
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// A run of text; `y` is the baseline; `tag` places it in the logical structure (`None`:
    /// an artifact, such as the footer).
    Text {
        x: f32,
        y: f32,
        run: Run,
        tag: Option<Tag>,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        color: Rgb,
        width: f32,
    },
}

/// What a row is in the document's logical structure (the PDF's tag tree).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Role {
    /// Text: each cell a paragraph.
    #[default]
    Block,
    /// A section heading of this level (1, 2, ...).
    Heading(u8),
    /// The column header of a table.
    TableHeader,
    /// A row of a table.
    TableRow,
}

/// Where a run of text belongs in the logical structure: its row (a row split over pages keeps
/// one `block`), its table, its cell, what the row is, and whether it is a table header
/// repeated on a later page (an artifact of pagination, not content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag {
    pub block: u32,
    pub table: Option<u32>,
    pub cell: u16,
    pub role: Role,
    pub repeated: bool,
}

/// A cell: laid-out lines in a column of the content area.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    /// Offset from the left margin.
    pub x: f32,
    pub w: f32,
    pub lines: Vec<Line>,
    pub fill: Option<Rgb>,
}

/// Padding inside a cell, in points.
pub(crate) const PAD_X: f32 = 3.0;
pub(crate) const PAD_Y: f32 = 2.0;

/// A horizontal band of cells.
#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub cells: Vec<Cell>,
    /// Thin borders around every cell.
    pub grid: bool,
    /// A frame around the whole row.
    pub frame: Option<(Rgb, f32)>,
    /// Extra space inside the row, above and below the cells' lines.
    pub pad: f32,
    /// What the row is in the logical structure.
    pub role: Role,
}

const GRID: Rgb = Rgb(208, 215, 222);

fn lines_height(lines: &[Line]) -> f32 {
    lines.iter().map(Line::height).sum()
}

impl Row {
    pub fn height(&self) -> f32 {
        self.cells
            .iter()
            .map(|c| lines_height(&c.lines))
            .fold(0.0, f32::max)
            + 2.0 * (PAD_Y + self.pad)
    }

    /// Splits the row so that its first part is at most `avail` high; `None` when not even
    /// one line of any cell fits.
    fn split(mut self, avail: f32) -> Option<(Row, Row)> {
        let room = avail - 2.0 * (PAD_Y + self.pad);
        let mut rest = self.clone();
        let mut any = false;
        for (c, r) in self.cells.iter_mut().zip(rest.cells.iter_mut()) {
            let mut h = 0.0;
            let mut n = 0;
            while n < c.lines.len() && h + c.lines[n].height() <= room {
                h += c.lines[n].height();
                n += 1;
            }
            any |= n > 0;
            r.lines = c.lines.split_off(n);
        }
        any.then_some((self, rest))
    }
}

/// A section heading for the document outline.
#[derive(Debug, Clone)]
pub(crate) struct Mark {
    pub title: String,
    pub page: usize,
    pub y: f32,
    pub level: u8,
}

pub(crate) struct Layout {
    pub pages: Vec<Vec<Op>>,
    pub marks: Vec<Mark>,
    y: f32,
    /// Column header of the table being laid out, repeated on each new page.
    header: Option<Row>,
    /// Nothing but a repeated header is on the current page yet.
    fresh: bool,
    /// Logical rows placed so far (the next row's `Tag::block`).
    blocks: u32,
    /// Tables laid out so far, and the one being laid out.
    tables: u32,
    table: Option<u32>,
}

impl Layout {
    pub fn new() -> Self {
        Layout {
            pages: vec![Vec::new()],
            marks: Vec::new(),
            y: TOP,
            header: None,
            fresh: true,
            blocks: 0,
            tables: 0,
            table: None,
        }
    }

    fn left(&self) -> f32 {
        BOTTOM - self.y
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
        if let Some(h) = self.header.clone() {
            let block = self.blocks;
            self.place(&h, block, true);
        }
        self.fresh = true;
    }

    /// Vertical space; never carried over to a new page.
    pub fn gap(&mut self, h: f32) {
        if !self.fresh {
            self.y = (self.y + h).min(BOTTOM);
        }
    }

    /// Starts a new page unless `h` points fit on this one.
    pub fn need(&mut self, h: f32) {
        if h > self.left() && !self.fresh {
            self.new_page();
        }
    }

    /// Records an outline entry at the current position.
    pub fn mark(&mut self, title: String, level: u8) {
        self.marks.push(Mark {
            title,
            page: self.pages.len() - 1,
            y: self.y,
            level,
        });
    }

    /// Draws a horizontal rule across the content area.
    pub fn rule(&mut self, color: Rgb, width: f32) {
        let y = self.y;
        self.page().push(Op::Rule {
            x1: LEFT,
            y1: y,
            x2: LEFT + WIDTH,
            y2: y,
            color,
            width,
        });
    }

    fn page(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a layout always has a page")
    }

    /// Places a row, breaking pages (and the row itself, if it is taller than a page).
    pub fn row(&mut self, row: Row) {
        let mut row = row;
        let block = self.blocks;
        self.blocks += 1;
        loop {
            let h = row.height();
            if h <= self.left() {
                self.place(&row, block, false);
                self.fresh = false;
                return;
            }
            if !self.fresh && h <= BOTTOM - TOP - self.header_height() {
                self.new_page();
                continue;
            }
            match row.clone().split(self.left()) {
                Some((a, b)) => {
                    self.place(&a, block, false);
                    self.fresh = false;
                    self.new_page();
                    row = b;
                }
                None if self.fresh => {
                    // Not one line fits on an empty page: place it anyway (cannot happen with
                    // the sizes used here).
                    self.place(&row, block, false);
                    self.fresh = false;
                    return;
                }
                None => self.new_page(),
            }
        }
    }

    fn header_height(&self) -> f32 {
        self.header.as_ref().map_or(0.0, Row::height)
    }

    /// Places rows, on a new page first if they do not fit here but would on a page of
    /// their own.
    pub fn group(&mut self, rows: Vec<Row>) {
        let total: f32 = rows.iter().map(Row::height).sum();
        if total > self.left() && total <= BOTTOM - TOP - self.header_height() && !self.fresh {
            self.new_page();
        }
        for r in rows {
            self.row(r);
        }
    }

    /// A table: `header` repeated at the top of every page its rows reach.
    pub fn table(&mut self, header: Row, rows: Vec<Row>) {
        let first = rows.first().map_or(0.0, |r| r.height().min(60.0));
        self.need(header.height() + first);
        self.table = Some(self.tables);
        self.tables += 1;
        let header = Row {
            role: Role::TableHeader,
            ..header
        };
        self.row(header.clone());
        self.header = Some(header);
        for r in rows {
            self.row(Row {
                role: Role::TableRow,
                ..r
            });
        }
        self.header = None;
        self.table = None;
    }

    /// Emits the drawing operations of a row (logical row `block`; `repeated`: a table header
    /// drawn again on a new page) at the current position and advances.
    fn place(&mut self, row: &Row, block: u32, repeated: bool) {
        let h = row.height();
        let y0 = self.y;
        let table = self.table;
        let mut ops = Vec::new();
        for (i, c) in row.cells.iter().enumerate() {
            if c.fill.is_some() {
                ops.push(Op::Rect {
                    x: LEFT + c.x,
                    y: y0,
                    w: c.w,
                    h,
                    fill: c.fill,
                    stroke: None,
                });
            }
            let mut y = y0 + PAD_Y + row.pad;
            for l in &c.lines {
                // DejaVu: ascender 0.928 em, descender 0.236 em, centred in the leading.
                let base = y + l.size * (0.928 + (crate::pdf::text::LEADING - 1.164) / 2.0);
                for r in &l.runs {
                    if r.text.trim().is_empty() {
                        continue;
                    }
                    ops.push(Op::Text {
                        x: LEFT + c.x + PAD_X + r.x,
                        y: base,
                        run: r.clone(),
                        tag: Some(Tag {
                            block,
                            table,
                            cell: i as u16,
                            role: row.role,
                            repeated,
                        }),
                    });
                }
                y += l.height();
            }
            if row.grid {
                ops.push(Op::Rect {
                    x: LEFT + c.x,
                    y: y0,
                    w: c.w,
                    h,
                    fill: None,
                    stroke: Some((GRID, 0.5)),
                });
            }
        }
        if let Some(frame) = row.frame {
            let x = row.cells.iter().map(|c| c.x).fold(f32::MAX, f32::min);
            let r = row.cells.iter().map(|c| c.x + c.w).fold(0.0, f32::max);
            ops.push(Op::Rect {
                x: LEFT + x,
                y: y0,
                w: r - x,
                h,
                fill: None,
                stroke: Some(frame),
            });
        }
        self.page().extend(ops);
        self.y += h;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::text::{Face, Style};

    fn line(i: usize) -> Line {
        let style = Style::new(Face::Sans, 8.5);
        Line {
            runs: vec![Run {
                text: format!("L{i}"),
                face: Face::Sans,
                style,
                x: 0.0,
                glyphs: Vec::new(),
            }],
            size: 8.5,
        }
    }

    fn texts(page: &[Op]) -> Vec<String> {
        page.iter()
            .filter_map(|o| match o {
                Op::Text { run, .. } => Some(run.text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_row_taller_than_a_page_is_split_between_lines() {
        let mut lay = Layout::new();
        lay.gap(100.0);
        lay.row(Row {
            cells: vec![Cell {
                x: 0.0,
                w: WIDTH,
                lines: (0..150).map(line).collect(),
                fill: None,
            }],
            ..Row::default()
        });
        // 150 lines of 10.88 pt: the rest of page 1, all of page 2, some of page 3.
        assert_eq!(lay.pages.len(), 3);
        let all: Vec<String> = lay.pages.iter().flat_map(|p| texts(p)).collect();
        assert_eq!(all, (0..150).map(|i| format!("L{i}")).collect::<Vec<_>>());
        let per_page = ((BOTTOM - TOP - 2.0 * PAD_Y) / (8.5 * crate::pdf::text::LEADING)) as usize;
        assert_eq!(texts(&lay.pages[1]).len(), per_page);
    }

    #[test]
    fn table_headers_repeat_and_groups_stay_together() {
        let mut lay = Layout::new();
        let header = Row {
            cells: vec![Cell {
                x: 0.0,
                w: WIDTH,
                lines: vec![line(999)],
                fill: None,
            }],
            grid: true,
            ..Row::default()
        };
        let rows = (0..200)
            .map(|i| Row {
                cells: vec![Cell {
                    x: 0.0,
                    w: WIDTH,
                    lines: vec![line(i)],
                    fill: None,
                }],
                grid: true,
                ..Row::default()
            })
            .collect();
        lay.table(header, rows);
        assert!(lay.pages.len() >= 3);
        for p in &lay.pages {
            assert_eq!(texts(p)[0], "L999");
        }
        // A group of 5 rows that does not fit at the end of a page starts the next one.
        let before = lay.pages.len();
        let room = BOTTOM - lay.y;
        let h = 14.88;
        let n = (room / h) as usize;
        for i in 0..n.saturating_sub(2) {
            lay.row(Row {
                cells: vec![Cell {
                    x: 0.0,
                    w: WIDTH,
                    lines: vec![line(1000 + i)],
                    fill: None,
                }],
                ..Row::default()
            });
        }
        let group = (0..5)
            .map(|i| Row {
                cells: vec![Cell {
                    x: 0.0,
                    w: WIDTH,
                    lines: vec![line(2000 + i)],
                    fill: None,
                }],
                ..Row::default()
            })
            .collect();
        lay.group(group);
        assert_eq!(lay.pages.len(), before + 1);
        assert_eq!(
            texts(lay.pages.last().unwrap()),
            ["L2000", "L2001", "L2002", "L2003", "L2004"]
        );
    }
}
