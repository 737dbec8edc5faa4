//! The scan: reads the state SQLite would read, walks every b-tree and the freelist of it,
//! carves every place that no live cell owns, then every page image that the WAL or a hot
//! journal holds or superseded, and drops what equals a live row of the table.
//!
//! Order: (1) the main header, the `-wal` and the `-journal` are parsed; (2) the state's page 1
//! and `sqlite_schema` give the table; (3) every b-tree of the schema is walked once (a shared
//! visited set): free blocks and gaps of every b-tree page are carved, the live rows of the
//! table are indexed by (payload length, page) and the overflow pages of live cells noted;
//! (4) the freelist (trunk areas after the leaf list, leaf pages whole); (5) pages of the state
//! that nothing uses, whole; (6) WAL frames other than the applied ones, main-file pages under
//! the WAL, journal pages, whole; (7) carved records whose bytes equal a live row's (the only
//! pages re-read are live pages holding a row of a candidate's length) are dropped.
//!
//! Invariants: each page of the state is carved by at most one of steps 3 to 5; each step reads
//! one page at a time; the visited set bounds every walk; the candidate cap stops carving.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::btree::{
    be32, cell_payload, parse_cell, read_overflow, walk_tree, PageHeader, PageSource, LEAF_TABLE,
};
use crate::carve::{Carver, Found, Region as CarveRegion};
use crate::error::{Anomalies, AnomalyKind, EvidenceFile, RecoverError};
use crate::header::{DatabaseHeader, HEADER_LEN};
use crate::io::{EvidenceReader, ReadSeek};
use crate::journal;
use crate::live::LiveRows;
use crate::pages::PageSet;
use crate::schema::{find_table, read_schema};
use crate::view::{Evidence, Located, View, ViewSource};
use crate::wal::{self, FrameStatus};
use crate::{Candidate, Options, RecoveredFrom, Region, Scan, SqlValue};

/// Where carved records go, with the table's column names and the caps.
struct Collector {
    names: Vec<String>,
    rowid_alias: Option<usize>,
    candidates: Vec<Candidate>,
    max: usize,
    full: bool,
    /// The candidate count after the last [`Scanner::make_room`].
    compacted_at: Option<usize>,
}

/// How the records of one image are to be reported.
#[derive(Clone, Copy)]
struct Place {
    page: u32,
    at: Located,
    from: RecoveredFrom,
    frame_status: Option<FrameStatus>,
}

impl Place {
    /// A page of the database's state at `at`: in the WAL, an applied frame's page; in the main
    /// file, the region `from` names.
    fn in_state(page: u32, at: Located, from: RecoveredFrom) -> Place {
        let in_wal = at.file == EvidenceFile::Wal;
        Place {
            page,
            at,
            from: if in_wal {
                RecoveredFrom::SqliteWal
            } else {
                from
            },
            frame_status: in_wal.then_some(FrameStatus::Applied),
        }
    }
}

impl Collector {
    fn add(&mut self, found: Found, place: Place, region: Region) {
        if self.candidates.len() >= self.max {
            self.full = true;
            return;
        }
        let rowid = found.cell.map(|(_, r)| r);
        let columns = self
            .names
            .iter()
            .cloned()
            .zip(found.values)
            .enumerate()
            .map(
                |(i, (name, value))| match (Some(i) == self.rowid_alias, rowid) {
                    (true, Some(r)) if value == SqlValue::Null => (name, SqlValue::Integer(r)),
                    _ => (name, value),
                },
            )
            .collect();
        self.candidates.push(Candidate {
            from: place.from,
            offset: place.at.offset + found.start as u64,
            page: place.page,
            region,
            wal_frame: place.at.frame,
            frame_status: place.frame_status,
            rowid,
            header: found.header,
            overflow_pages: found.overflow_pages,
            payload: found.payload,
            columns,
        });
    }
}

/// Scans a database file with its `-wal` and `-journal`, when there are some.
///
/// `main`, `wal` and `journal` are only read. A `-wal` or `-journal` of length zero is fine
/// (nothing in it). Errors: the main file is not a UTF-8 SQLite database with the table; the
/// `-wal` or `-journal` is unreadable (the error names the byte offset and frame); I/O.
pub fn scan(
    main: &mut dyn ReadSeek,
    wal: Option<&mut dyn ReadSeek>,
    journal: Option<&mut dyn ReadSeek>,
    options: &Options,
) -> Result<Scan, RecoverError> {
    let mut main = EvidenceReader::new(main, EvidenceFile::Main)?;
    let mut first = [0u8; HEADER_LEN];
    let n = main.read_at(0, &mut first)?;
    let main_header = DatabaseHeader::parse(&first[..n])?;
    let page_size = main_header.page_size;
    let mut wal_reader = match wal {
        Some(w) => Some(EvidenceReader::new(w, EvidenceFile::Wal)?),
        None => None,
    };
    let wal_info = match wal_reader.as_mut() {
        Some(r) => Some(wal::parse(r, page_size)?),
        None => None,
    };
    let mut journal_reader = match journal {
        Some(j) => Some(EvidenceReader::new(j, EvidenceFile::Journal)?),
        None => None,
    };
    let journal_info = match journal_reader.as_mut() {
        Some(r) => Some(journal::parse(r, page_size)?),
        None => None,
    };
    let main_pages = u32::try_from(main.len.div_ceil(u64::from(page_size))).unwrap_or(u32::MAX);
    let state_pages = wal_info
        .as_ref()
        .and_then(|w| w.database_pages)
        .or(main_header.valid_database_pages())
        .unwrap_or(main_pages);
    let mut frames_by_page: HashMap<u32, Vec<u32>> = HashMap::new();
    for f in wal_info.iter().flat_map(|w| &w.frames) {
        frames_by_page.entry(f.page).or_default().push(f.number);
    }
    let mut journal_by_page = HashMap::new();
    for p in journal_info.iter().flat_map(|j| &j.pages) {
        journal_by_page.entry(p.page).or_insert(p.offset);
    }
    let mut ev = Evidence {
        main,
        wal: wal_reader,
        journal: journal_reader,
        page_size,
        main_pages,
        state_pages,
        wal_info,
        journal_info,
        frames_by_page,
        journal_by_page,
        anomalies: Anomalies::default(),
    };

    let ps = page_size as usize;
    let mut image = vec![0u8; ps];
    let page1 = ev.locate(View::State, 1).ok_or(RecoverError::NotSqlite {
        offset: 28,
        reason: "the database holds no page",
    })?;
    ev.read(page1, &mut image)?;
    let header = DatabaseHeader::parse(&image)?;
    if header.page_size != page_size {
        return Err(RecoverError::NotSqlite {
            offset: page1.offset + 16,
            reason: "page 1 of the state names another page size than the main file",
        });
    }
    header.check_encoding()?;
    let whole_pages = u32::try_from(ev.main.len / u64::from(page_size)).unwrap_or(u32::MAX);
    // (BTreeMap::range panics on a reversed range: only asked when the file is short.)
    let in_wal = match &ev.wal_info {
        Some(w) if whole_pages < state_pages => {
            w.applied.range(whole_pages + 1..=state_pages).count() as u32
        }
        _ => 0,
    };
    if whole_pages.saturating_add(in_wal) < state_pages {
        ev.anomalies.push_always(
            EvidenceFile::Main,
            None,
            ev.main.len,
            AnomalyKind::MainFileShort {
                pages: state_pages,
                present: whole_pages,
            },
        );
    }
    let usable = header.usable_size() as usize;
    let entries = read_schema(
        &mut ViewSource {
            ev: &mut ev,
            view: View::State,
        },
        ps,
        usable,
        options.max_record_bytes,
    )?;
    let table = find_table(&entries, &options.table)?;
    // Every page the files can hold gets a bit in the page sets; other numbers are hashed.
    let page_limit = ev
        .main_pages
        .saturating_add(ev.wal_info.as_ref().map_or(0, |w| w.frames.len() as u32))
        .saturating_add(ev.journal_info.as_ref().map_or(0, |j| j.pages.len() as u32));
    let mut scanner = Scanner {
        carver: Carver::new(
            &table,
            ps,
            usable,
            options.max_record_bytes,
            options.max_overflow_reads,
        ),
        out: Collector {
            names: table.stored_columns().map(|c| c.name.clone()).collect(),
            rowid_alias: table.stored_columns().position(|c| c.rowid_alias),
            candidates: Vec::new(),
            max: options.max_candidates,
            full: false,
            compacted_at: None,
        },
        live: LiveRows::new(options.temp_dir.clone(), options.live_rows_in_memory),
        overflow_pages: PageSet::new(page_limit),
        max_record: options.max_record_bytes,
        usable,
    };
    let mut roots = vec![1u32];
    for e in &entries {
        if e.root_page > 1 && !roots.contains(&e.root_page) {
            roots.push(e.root_page);
        }
    }
    let mut visited = PageSet::new(page_limit);
    for root in roots {
        scanner.walk_state_tree(&mut ev, root, root == table.root_page, &mut visited)?;
    }
    scanner.freelist(&mut ev, &header, &mut visited)?;
    scanner.unused_pages(&mut ev, &header, &visited)?;
    scanner.superseded_images(&mut ev)?;
    scanner.drop_live_copies(&mut ev)?;

    if scanner.out.full {
        ev.anomalies
            .push_always(EvidenceFile::Main, None, 0, AnomalyKind::CandidateLimit);
    }
    if scanner.carver.overflow_budget_spent {
        ev.anomalies.push_always(
            EvidenceFile::Main,
            None,
            0,
            AnomalyKind::OverflowBudgetSpent,
        );
    }
    let mut candidates = scanner.out.candidates;
    candidates.sort_by_key(|c| (c.from, c.offset));
    candidates.dedup_by(|a, b| a.from == b.from && a.offset == b.offset);
    Ok(Scan {
        header,
        database_pages: state_pages,
        table,
        wal: ev.wal_info,
        journal: ev.journal_info,
        candidates,
        anomalies: ev.anomalies.list,
    })
}

/// [`scan`] over bytes in memory (tests, fuzzing, small evidence).
pub fn scan_bytes(
    main: &[u8],
    wal: Option<&[u8]>,
    journal: Option<&[u8]>,
    options: &Options,
) -> Result<Scan, RecoverError> {
    let mut main = std::io::Cursor::new(main);
    let mut wal = wal.map(std::io::Cursor::new);
    let mut journal = journal.map(std::io::Cursor::new);
    scan(
        &mut main,
        wal.as_mut().map(|w| w as &mut dyn ReadSeek),
        journal.as_mut().map(|j| j as &mut dyn ReadSeek),
        options,
    )
}

/// Scans the database file at `path` with `<path>-wal` and `<path>-journal` when they exist.
/// Every file is opened read-only.
pub fn scan_files(path: &Path, options: &Options) -> Result<Scan, RecoverError> {
    let open = |p: &Path, file| {
        File::open(p).map_err(|source| RecoverError::Io {
            file,
            offset: 0,
            source,
        })
    };
    let beside = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let mut main = open(path, EvidenceFile::Main)?;
    let wal_path = beside("-wal");
    let journal_path = beside("-journal");
    let mut wal = match wal_path.is_file() {
        true => Some(open(&wal_path, EvidenceFile::Wal)?),
        false => None,
    };
    let mut journal = match journal_path.is_file() {
        true => Some(open(&journal_path, EvidenceFile::Journal)?),
        false => None,
    };
    scan(
        &mut main,
        wal.as_mut().map(|w| w as &mut dyn ReadSeek),
        journal.as_mut().map(|j| j as &mut dyn ReadSeek),
        options,
    )
}

struct Scanner {
    carver: Carver,
    out: Collector,
    /// (payload length, saturated to u32, and page) of every live row of the table.
    live: LiveRows,
    /// Overflow pages of live cells of the state.
    overflow_pages: PageSet,
    max_record: u64,
    usable: usize,
}

impl Scanner {
    /// Step 3: one b-tree of the state.
    fn walk_state_tree(
        &mut self,
        ev: &mut Evidence<'_>,
        root: u32,
        is_table: bool,
        visited: &mut PageSet,
    ) -> Result<(), RecoverError> {
        let ps = ev.page_size as usize;
        let usable = self.usable;
        let mut src = ViewSource {
            ev,
            view: View::State,
        };
        walk_tree(
            &mut src,
            root,
            ps,
            usable,
            visited,
            &mut |src, page, image, header| {
                for at in header.cell_offsets(image, usable).collect::<Vec<_>>() {
                    let Some(cell) = parse_cell(image, at, header.kind, usable) else {
                        continue;
                    };
                    if is_table && header.kind == LEAF_TABLE {
                        let len = u32::try_from(cell.payload_len).unwrap_or(u32::MAX);
                        self.live
                            .push(len, page)
                            .map_err(|source| RecoverError::Temporary {
                                dir: self.live.dir().to_path_buf(),
                                source,
                            })?;
                    }
                    if let Some(first) = cell.overflow {
                        let needed = (cell.payload_len.min(self.max_record) as usize)
                            .saturating_sub(cell.local_len);
                        let chain = read_overflow(src, first, needed, ps, usable)?;
                        if !chain.complete && cell.payload_len <= self.max_record {
                            src.anomaly(first, AnomalyKind::OverflowChainBroken);
                        }
                        self.overflow_pages.extend(chain.pages);
                    }
                }
                let Some(at) = src.ev.locate(View::State, page) else {
                    return Ok(());
                };
                let blocks = header.freeblocks(image, usable);
                for (start, size) in blocks {
                    let place = Place::in_state(page, at, RecoveredFrom::SqliteFreeblock);
                    let region = CarveRegion {
                        image,
                        floor: header.offset,
                        bytes: start..start + size,
                        freeblocks: &[start],
                    };
                    self.carve(&region, src, place, Region::FreeBlock)?;
                }
                if let Some((start, end)) = header.gap(usable) {
                    let place = Place::in_state(page, at, RecoveredFrom::SqliteUnallocated);
                    let region = CarveRegion {
                        image,
                        floor: header.offset,
                        bytes: start..end,
                        freeblocks: &[],
                    };
                    self.carve(&region, src, place, Region::Unallocated)?;
                }
                Ok(())
            },
        )
    }

    fn carve(
        &mut self,
        region: &CarveRegion<'_>,
        src: &mut dyn PageSource,
        place: Place,
        kind: Region,
    ) -> Result<(), RecoverError> {
        if self.out.full {
            return Ok(());
        }
        let mut found = Vec::new();
        self.carver.carve(region, src, &mut found)?;
        for f in found {
            self.out.add(f, place, kind);
        }
        Ok(())
    }

    /// Carves a page image whole, telling apart what its own page header says of each place.
    fn carve_image(
        &mut self,
        image: &[u8],
        src: &mut dyn PageSource,
        place: Place,
    ) -> Result<(), RecoverError> {
        if self.out.full {
            return Ok(());
        }
        let floor = if place.page == 1 { HEADER_LEN } else { 0 };
        let header = PageHeader::parse(image, floor, self.usable);
        let blocks = header
            .map(|h| h.freeblocks(image, self.usable))
            .unwrap_or_default();
        let starts: Vec<usize> = blocks.iter().map(|&(s, _)| s).collect();
        let cells: HashSet<usize> = header
            .map(|h| h.cell_offsets(image, self.usable).collect())
            .unwrap_or_default();
        let gap = header.and_then(|h| h.gap(self.usable));
        let region = CarveRegion {
            image,
            floor,
            bytes: floor..self.usable,
            freeblocks: &starts,
        };
        let mut found = Vec::new();
        self.carver.carve(&region, src, &mut found)?;
        for f in found {
            let cell_start = f.cell.map(|(c, _)| c);
            let kind = if cell_start.is_some_and(|c| cells.contains(&c)) {
                Region::Cell
            } else if blocks.iter().any(|&(s, n)| f.start >= s && f.start < s + n) {
                Region::FreeBlock
            } else if gap.is_some_and(|(s, e)| f.start >= s && f.start < e) {
                Region::Unallocated
            } else {
                Region::Page
            };
            self.out.add(f, place, kind);
        }
        Ok(())
    }

    /// Step 4: the freelist of the state.
    fn freelist(
        &mut self,
        ev: &mut Evidence<'_>,
        header: &DatabaseHeader,
        visited: &mut PageSet,
    ) -> Result<(), RecoverError> {
        let ps = ev.page_size as usize;
        let mut trunk = header.first_freelist_trunk;
        let mut found = 0u32;
        let mut image = vec![0u8; ps];
        let max_leaves = (self.usable / 4).saturating_sub(2);
        let mut src = ViewSource {
            ev,
            view: View::State,
        };
        while trunk != 0 {
            let Some(at) = src.ev.locate(View::State, trunk) else {
                src.anomaly(trunk, AnomalyKind::FreelistDamaged);
                break;
            };
            if !visited.insert(trunk) {
                src.anomaly(trunk, AnomalyKind::FreelistDamaged);
                break;
            }
            src.ev.read(at, &mut image)?;
            found = found.saturating_add(1);
            let next = be32(&image, 0).unwrap_or(0);
            let stated = be32(&image, 4).unwrap_or(0) as usize;
            if stated > max_leaves {
                src.anomaly(trunk, AnomalyKind::FreelistDamaged);
            }
            let leaves: Vec<u32> = (0..stated.min(max_leaves))
                .filter_map(|i| be32(&image, 8 + 4 * i))
                .collect();
            let place = Place::in_state(trunk, at, RecoveredFrom::SqliteFreelist);
            let region = CarveRegion {
                image: &image,
                floor: 8,
                bytes: 8 + 4 * leaves.len()..self.usable,
                freeblocks: &[],
            };
            self.carve(&region, &mut src, place, Region::Page)?;
            let mut leaf_image = vec![0u8; ps];
            let mut bad_leaf = None;
            for leaf in leaves {
                let located = src.ev.locate(View::State, leaf);
                let Some(leaf_at) = located.filter(|_| leaf > 1 && visited.insert(leaf)) else {
                    bad_leaf.get_or_insert(leaf);
                    continue;
                };
                found = found.saturating_add(1);
                src.ev.read(leaf_at, &mut leaf_image)?;
                let place = Place::in_state(leaf, leaf_at, RecoveredFrom::SqliteFreelist);
                self.carve_image(&leaf_image, &mut src, place)?;
            }
            if let Some(leaf) = bad_leaf {
                // One anomaly per trunk: the first leaf that is outside the state or used.
                src.anomaly(leaf, AnomalyKind::FreelistDamaged);
            }
            trunk = next;
        }
        if found != header.freelist_pages {
            let offset = src.ev.locate(View::State, 1).map_or(0, |a| a.offset) + 36;
            let file = src
                .ev
                .locate(View::State, 1)
                .map_or(EvidenceFile::Main, |a| a.file);
            src.ev.anomalies.push_always(
                file,
                Some(1),
                offset,
                AnomalyKind::FreelistCount {
                    header: header.freelist_pages,
                    found,
                },
            );
        }
        Ok(())
    }

    /// Step 5: pages of the state that no b-tree, overflow chain or freelist uses, and pages
    /// of the main file past the state's end (in rollback mode).
    fn unused_pages(
        &mut self,
        ev: &mut Evidence<'_>,
        header: &DatabaseHeader,
        visited: &PageSet,
    ) -> Result<(), RecoverError> {
        let wal_state = ev
            .wal_info
            .as_ref()
            .is_some_and(|w| w.last_commit.is_some());
        let main_limit = if wal_state {
            ev.main_pages.min(ev.state_pages)
        } else {
            ev.main_pages
        };
        let applied: Vec<u32> = ev
            .wal_info
            .iter()
            .flat_map(|w| w.applied.keys().copied())
            .collect();
        let mut image = vec![0u8; ev.page_size as usize];
        // Two disjoint ranges: the main file's pages, then WAL pages past its end.
        let numbers = (1..=main_limit).chain(applied.into_iter().filter(|&p| p > main_limit));
        for page in numbers {
            if self.out.full {
                break;
            }
            if visited.contains(page)
                || self.overflow_pages.contains(page)
                || page == header.lock_byte_page()
                || header.is_pointer_map_page(page)
            {
                continue;
            }
            let Some(at) = ev.locate(View::State, page).or_else(|| ev.main_page(page)) else {
                continue;
            };
            self.make_room(ev)?;
            ev.read(at, &mut image)?;
            let place = Place::in_state(page, at, RecoveredFrom::SqliteUnallocated);
            let mut src = ViewSource {
                ev,
                view: View::State,
            };
            self.carve_image(&image, &mut src, place)?;
        }
        Ok(())
    }

    /// Step 6: WAL frames other than the applied ones, main-file pages under the WAL, and the
    /// pages of the journal.
    fn superseded_images(&mut self, ev: &mut Evidence<'_>) -> Result<(), RecoverError> {
        let mut image = vec![0u8; ev.page_size as usize];
        let frames: Vec<(u32, u32, FrameStatus)> = ev
            .wal_info
            .iter()
            .flat_map(|w| &w.frames)
            .filter(|f| f.status != FrameStatus::Applied && f.page != 0)
            .map(|f| (f.number, f.page, f.status))
            .collect();
        for (number, page, status) in frames {
            self.make_room(ev)?;
            let Some(at) = ev.frame(number) else { continue };
            ev.read(at, &mut image)?;
            let place = Place {
                page,
                at,
                from: RecoveredFrom::SqliteWal,
                frame_status: Some(status),
            };
            let mut src = ViewSource {
                ev,
                view: View::WalAt(number),
            };
            self.carve_image(&image, &mut src, place)?;
        }
        if let Some(w) = ev.wal_info.as_ref().filter(|w| w.last_commit.is_some()) {
            let mut under: BTreeSet<u32> = w.applied.keys().copied().collect();
            under.extend(ev.state_pages.saturating_add(1)..=ev.main_pages);
            for page in under {
                self.make_room(ev)?;
                let Some(at) = ev.main_page(page) else {
                    continue;
                };
                ev.read(at, &mut image)?;
                let place = Place {
                    page,
                    at,
                    from: RecoveredFrom::SqliteMainUnderWal,
                    frame_status: None,
                };
                let mut src = ViewSource {
                    ev,
                    view: View::Main,
                };
                self.carve_image(&image, &mut src, place)?;
            }
        }
        let pages: Vec<(u32, u64)> = ev
            .journal_info
            .iter()
            .filter(|j| j.hot)
            .flat_map(|j| &j.pages)
            .map(|p| (p.page, p.offset))
            .collect();
        for (page, offset) in pages {
            self.make_room(ev)?;
            let at = Located {
                file: EvidenceFile::Journal,
                offset,
                frame: None,
            };
            ev.read(at, &mut image)?;
            let place = Place {
                page,
                at,
                from: RecoveredFrom::SqliteJournal,
                frame_status: None,
            };
            let mut src = ViewSource {
                ev,
                view: View::Journal,
            };
            self.carve_image(&image, &mut src, place)?;
        }
        Ok(())
    }

    /// Before carving another page image whole: when the candidates near the cap, drops those
    /// that equal a live row (most rows of a superseded image are unchanged), so that the cap
    /// counts what will be reported. Runs again only after a quarter of the margin was added.
    fn make_room(&mut self, ev: &mut Evidence<'_>) -> Result<(), RecoverError> {
        let margin = (self.out.max / 2).min(4096);
        let len = self.out.candidates.len();
        let due = self
            .out
            .compacted_at
            .is_none_or(|at| len >= at + margin / 4);
        if len + margin >= self.out.max && due {
            self.drop_live_copies(ev)?;
            self.out.compacted_at = Some(self.out.candidates.len());
        }
        Ok(())
    }

    /// Step 7: drops candidates whose bytes equal a live row of the table.
    fn drop_live_copies(&mut self, ev: &mut Evidence<'_>) -> Result<(), RecoverError> {
        let mut by_len: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, c) in self.out.candidates.iter().enumerate() {
            by_len.entry(c.payload.len() as u64).or_default().push(i);
        }
        let mut pages = PageSet::new(ev.main_pages);
        let dir = self.live.dir().to_path_buf();
        self.live
            .pages_with(|len| by_len.contains_key(&u64::from(len)), &mut pages)
            .map_err(|source| RecoverError::Temporary { dir, source })?;
        let ps = ev.page_size as usize;
        let usable = self.usable;
        let mut image = vec![0u8; ps];
        let mut drop = vec![false; self.out.candidates.len()];
        let mut src = ViewSource {
            ev,
            view: View::State,
        };
        for page in pages.iter() {
            if !src.page(page, &mut image)? {
                continue;
            }
            let Some(header) =
                PageHeader::parse(&image, if page == 1 { HEADER_LEN } else { 0 }, usable)
            else {
                continue;
            };
            for at in header.cell_offsets(&image, usable).collect::<Vec<_>>() {
                let Some(cell) = parse_cell(&image, at, LEAF_TABLE, usable) else {
                    continue;
                };
                let Some(same_len) = by_len.get(&cell.payload_len) else {
                    continue;
                };
                let mut pages = Vec::new();
                let payload = cell_payload(
                    &mut src,
                    &image,
                    &cell,
                    ps,
                    usable,
                    self.max_record,
                    &mut pages,
                )?;
                let Some(payload) = payload else { continue };
                for &i in same_len {
                    if self.out.candidates[i].payload == payload {
                        drop[i] = true;
                    }
                }
            }
        }
        let mut keep = drop.into_iter().map(|d| !d);
        self.out.candidates.retain(|_| keep.next().unwrap_or(true));
        Ok(())
    }
}
