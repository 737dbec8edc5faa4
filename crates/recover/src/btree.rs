//! B-tree pages, cells and overflow chains
//! (<https://www.sqlite.org/fileformat2.html#b_tree_pages>).
//!
//! Invariants: a page header is accepted only when its type is one of the four b-tree types
//! and its cell pointer array fits the usable page; cell pointers, free blocks and cells that
//! leave the usable area are skipped, never indexed. Free-block chains must ascend (as SQLite
//! keeps them), which bounds them by the page size. A tree walk keeps a set of visited pages,
//! so a cycle or two trees sharing a page stop at the second visit, and a depth limit stops a
//! chain of interior pages; an overflow chain is followed at most as many pages as the payload
//! needs and never revisits a page. Every page is read into a buffer of one page: memory does
//! not grow with the file.

use std::collections::HashSet;

use crate::pages::PageSet;

use crate::error::{AnomalyKind, RecoverError};
use crate::record::read_varint;

pub(crate) const INTERIOR_INDEX: u8 = 2;
pub(crate) const INTERIOR_TABLE: u8 = 5;
pub(crate) const LEAF_INDEX: u8 = 10;
pub(crate) const LEAF_TABLE: u8 = 13;

/// No real b-tree is this deep (SQLite's own limit is 20).
const MAX_DEPTH: usize = 40;

/// Reads database pages for the walks and overflow chains of one view of the evidence.
pub(crate) trait PageSource {
    /// Fills `buf` (one page) with page `number`; `Ok(false)` when that page exists nowhere.
    fn page(&mut self, number: u32, buf: &mut [u8]) -> Result<bool, RecoverError>;
    /// Records an anomaly about page `number`.
    fn anomaly(&mut self, number: u32, kind: AnomalyKind);
}

/// The header of a b-tree page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageHeader {
    pub kind: u8,
    /// Where the header starts: 100 on page 1, 0 elsewhere.
    pub offset: usize,
    pub first_freeblock: usize,
    pub cell_count: usize,
    pub content_start: usize,
    pub right_child: u32,
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

impl PageHeader {
    /// Parses the header at `offset` of a page image whose first `usable` bytes are content.
    pub fn parse(image: &[u8], offset: usize, usable: usize) -> Option<Self> {
        let kind = *image.get(offset)?;
        if ![INTERIOR_INDEX, INTERIOR_TABLE, LEAF_INDEX, LEAF_TABLE].contains(&kind) {
            return None;
        }
        let raw_content = be16(image, offset + 5)?;
        let header = PageHeader {
            kind,
            offset,
            first_freeblock: be16(image, offset + 1)?,
            cell_count: be16(image, offset + 3)?,
            content_start: if raw_content == 0 { 65536 } else { raw_content },
            right_child: if kind == INTERIOR_INDEX || kind == INTERIOR_TABLE {
                be32(image, offset + 8)?
            } else {
                0
            },
        };
        (header.pointer_array_end() <= usable.min(image.len())).then_some(header)
    }

    pub fn is_leaf(&self) -> bool {
        self.kind == LEAF_INDEX || self.kind == LEAF_TABLE
    }

    fn header_len(&self) -> usize {
        if self.is_leaf() {
            8
        } else {
            12
        }
    }

    /// The first byte after the cell pointer array.
    pub fn pointer_array_end(&self) -> usize {
        self.offset + self.header_len() + 2 * self.cell_count
    }

    /// The cell offsets that point inside the usable content area.
    pub fn cell_offsets<'a>(
        &self,
        image: &'a [u8],
        usable: usize,
    ) -> impl Iterator<Item = usize> + 'a {
        let start = self.offset + self.header_len();
        let end = self.pointer_array_end();
        let floor = end;
        (start..end)
            .step_by(2)
            .filter_map(move |at| be16(image, at))
            .filter(move |&cell| cell >= floor && cell < usable)
    }

    /// The free blocks as (start, size), ascending, each inside the usable area.
    pub fn freeblocks(&self, image: &[u8], usable: usize) -> Vec<(usize, usize)> {
        let mut blocks = Vec::new();
        let mut at = self.first_freeblock;
        let mut floor = self.pointer_array_end();
        while at != 0 {
            if at < floor || at + 4 > usable {
                break;
            }
            let (Some(next), Some(size)) = (be16(image, at), be16(image, at + 2)) else {
                break;
            };
            if size < 4 || at + size > usable {
                break;
            }
            blocks.push((at, size));
            floor = at + size;
            at = next;
        }
        blocks
    }

    /// The unallocated bytes between the cell pointer array and the cell content area.
    pub fn gap(&self, usable: usize) -> Option<(usize, usize)> {
        let start = self.pointer_array_end();
        let end = self.content_start.min(usable);
        (start < end).then_some((start, end))
    }
}

/// The largest payload kept whole on a page (X in the file format).
pub(crate) fn max_local(usable: usize, table_leaf: bool) -> usize {
    if table_leaf {
        usable - 35
    } else {
        (usable - 12) * 64 / 255 - 23
    }
}

/// How many payload bytes stay on the page for a payload of `payload_len` bytes.
pub(crate) fn local_size(payload_len: u64, usable: usize, table_leaf: bool) -> usize {
    let x = max_local(usable, table_leaf);
    if payload_len <= x as u64 {
        return payload_len as usize;
    }
    let m = (usable - 12) * 32 / 255 - 23;
    let k = m as u64 + (payload_len - m as u64) % (usable as u64 - 4);
    if k <= x as u64 {
        k as usize
    } else {
        m
    }
}

/// One cell of a b-tree page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub payload_len: u64,
    pub rowid: Option<i64>,
    /// Where the payload starts in the page image.
    pub payload_start: usize,
    /// Payload bytes on this page.
    pub local_len: usize,
    pub overflow: Option<u32>,
    pub left_child: Option<u32>,
}

/// Parses the cell at `offset` of a page of type `kind`; `None` when it leaves the page.
pub(crate) fn parse_cell(image: &[u8], offset: usize, kind: u8, usable: usize) -> Option<Cell> {
    let mut at = offset;
    let mut left_child = None;
    if kind == INTERIOR_TABLE || kind == INTERIOR_INDEX {
        left_child = Some(be32(image, at)?);
        at += 4;
    }
    if kind == INTERIOR_TABLE {
        let (rowid, _) = read_varint(image.get(at..)?)?;
        return Some(Cell {
            payload_len: 0,
            rowid: Some(rowid as i64),
            payload_start: at,
            local_len: 0,
            overflow: None,
            left_child,
        });
    }
    let (payload_len, n) = read_varint(image.get(at..)?)?;
    at += n;
    let mut rowid = None;
    if kind == LEAF_TABLE {
        let (r, n) = read_varint(image.get(at..)?)?;
        rowid = Some(r as i64);
        at += n;
    }
    let local_len = local_size(payload_len, usable, kind == LEAF_TABLE);
    let local_end = at.checked_add(local_len)?;
    let mut overflow = None;
    if (local_len as u64) < payload_len {
        overflow = Some(be32(image, local_end)?);
        if local_end + 4 > usable {
            return None;
        }
    } else if local_end > usable {
        return None;
    }
    Some(Cell {
        payload_len,
        rowid,
        payload_start: at,
        local_len,
        overflow,
        left_child,
    })
}

/// The bytes of an overflow chain and the pages it went through.
#[derive(Debug, Default)]
pub(crate) struct Overflow {
    pub bytes: Vec<u8>,
    pub pages: Vec<u32>,
    /// Whether every byte needed was read.
    pub complete: bool,
}

/// Follows an overflow chain from `first` for `needed` bytes: at most as many pages as those
/// bytes need, each page at most once.
pub(crate) fn read_overflow(
    src: &mut dyn PageSource,
    first: u32,
    needed: usize,
    page_size: usize,
    usable: usize,
) -> Result<Overflow, RecoverError> {
    let per_page = usable - 4;
    let mut out = Overflow {
        bytes: Vec::with_capacity(needed.min(1 << 20)),
        ..Overflow::default()
    };
    let mut seen = HashSet::new();
    let mut buf = vec![0u8; page_size];
    let mut next = first;
    while out.bytes.len() < needed {
        if next == 0 || !seen.insert(next) || !src.page(next, &mut buf)? {
            return Ok(out);
        }
        out.pages.push(next);
        let take = per_page.min(needed - out.bytes.len());
        out.bytes.extend_from_slice(&buf[4..4 + take]);
        next = be32(&buf, 0).unwrap_or(0);
    }
    out.complete = true;
    Ok(out)
}

/// The whole payload of a cell (its local bytes and overflow chain), when it is at most
/// `max_bytes` long and every byte could be read; the overflow pages read are appended to
/// `pages`.
pub(crate) fn cell_payload(
    src: &mut dyn PageSource,
    image: &[u8],
    cell: &Cell,
    page_size: usize,
    usable: usize,
    max_bytes: u64,
    pages: &mut Vec<u32>,
) -> Result<Option<Vec<u8>>, RecoverError> {
    if cell.payload_len > max_bytes {
        return Ok(None);
    }
    let Some(local) = image.get(cell.payload_start..cell.payload_start + cell.local_len) else {
        return Ok(None);
    };
    let mut payload = local.to_vec();
    if let Some(first) = cell.overflow {
        let needed = (cell.payload_len as usize).saturating_sub(cell.local_len);
        let chain = read_overflow(src, first, needed, page_size, usable)?;
        pages.extend_from_slice(&chain.pages);
        if !chain.complete {
            src.anomaly(first, AnomalyKind::OverflowChainBroken);
            return Ok(None);
        }
        payload.extend_from_slice(&chain.bytes);
    }
    Ok(Some(payload))
}

/// What [`walk_tree`] calls for each page: the source, the page number, its image and header.
pub(crate) type Visit<'v, S> =
    dyn FnMut(&mut S, u32, &[u8], &PageHeader) -> Result<(), RecoverError> + 'v;

/// Walks the b-tree rooted at `root` depth first, calling `visit` once for every page that
/// parses as a b-tree page and was not visited before (`visited` is shared across trees).
pub(crate) fn walk_tree<S: PageSource>(
    src: &mut S,
    root: u32,
    page_size: usize,
    usable: usize,
    visited: &mut PageSet,
    visit: &mut Visit<'_, S>,
) -> Result<(), RecoverError> {
    let mut stack = vec![(root, 0usize)];
    let mut buf = vec![0u8; page_size];
    while let Some((page, depth)) = stack.pop() {
        if page == 0 {
            continue;
        }
        if depth > MAX_DEPTH {
            src.anomaly(page, AnomalyKind::TreeTooDeep);
            continue;
        }
        if !visited.insert(page) {
            src.anomaly(page, AnomalyKind::PageRevisited);
            continue;
        }
        if !src.page(page, &mut buf)? {
            src.anomaly(page, AnomalyKind::PageMissing);
            continue;
        }
        let offset = if page == 1 {
            crate::header::HEADER_LEN
        } else {
            0
        };
        let Some(header) = PageHeader::parse(&buf, offset, usable) else {
            src.anomaly(page, AnomalyKind::NotBtreePage);
            continue;
        };
        visit(src, page, &buf, &header)?;
        if !header.is_leaf() {
            stack.push((header.right_child, depth + 1));
            let children: Vec<u32> = header
                .cell_offsets(&buf, usable)
                .filter_map(|c| be32(&buf, c))
                .collect();
            for child in children.into_iter().rev() {
                stack.push((child, depth + 1));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sizes_follow_the_file_format() {
        // 4096-byte pages: X = 4061, M = 489 for table leaves.
        assert_eq!(local_size(100, 4096, true), 100);
        assert_eq!(local_size(4061, 4096, true), 4061);
        let p = 10_000u64;
        let k = 489 + (p - 489) % 4092;
        assert_eq!(local_size(p, 4096, true), k as usize);
        assert_eq!(max_local(4096, false), (4096 - 12) * 64 / 255 - 23);
    }

    #[test]
    fn freeblocks_must_ascend_and_fit() {
        let mut page = vec![0u8; 512];
        page[0] = LEAF_TABLE;
        page[1..3].copy_from_slice(&100u16.to_be_bytes());
        page[5..7].copy_from_slice(&100u16.to_be_bytes());
        // 100 -> 50 (descending: stops), size 20
        page[100..102].copy_from_slice(&50u16.to_be_bytes());
        page[102..104].copy_from_slice(&20u16.to_be_bytes());
        let h = PageHeader::parse(&page, 0, 512).unwrap();
        assert_eq!(h.freeblocks(&page, 512), vec![(100, 20)]);
        // a block running off the page is dropped
        page[102..104].copy_from_slice(&500u16.to_be_bytes());
        assert_eq!(h.freeblocks(&page, 512), vec![]);
    }

    #[test]
    fn cells_that_leave_the_page_are_refused() {
        let mut page = vec![0u8; 512];
        // payload 200 bytes, rowid 1, at offset 400: runs past 512
        page[400] = 0x81;
        page[401] = 0x48;
        page[402] = 1;
        assert!(parse_cell(&page, 400, LEAF_TABLE, 512).is_none());
        assert!(parse_cell(&page, 300, LEAF_TABLE, 512).is_some());
    }
}
