//! Views of the evidence: which image of a page each version of the database means, and
//! reading it.
//!
//! The state ([`View::State`]) is what SQLite reads: for each page, the newest committed WAL
//! frame, else the main file, and no page past the state's size. The other views serve the
//! overflow chains of superseded images: the main file alone (under the WAL), the WAL up to a
//! frame, the journal's pages over the main file (the state before the transaction).
//!
//! Invariants: a page number resolves to at most one (file, offset) and is read into the
//! caller's one-page buffer; a page that exists nowhere is reported as absent, not read.

use std::collections::HashMap;

use crate::btree::PageSource;
use crate::error::{Anomalies, AnomalyKind, EvidenceFile, RecoverError};
use crate::io::EvidenceReader;
use crate::journal::JournalInfo;
use crate::wal::WalInfo;

/// Which version of the database a page number means.
#[derive(Debug, Clone, Copy)]
pub(crate) enum View {
    /// What SQLite reads: committed WAL frames over the main file.
    State,
    /// The main file alone.
    Main,
    /// The WAL up to and including this frame, over the main file.
    WalAt(u32),
    /// The journal's pages over the main file (the state before the transaction).
    Journal,
}

/// Where a page image is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Located {
    pub(crate) file: EvidenceFile,
    pub(crate) offset: u64,
    pub(crate) frame: Option<u32>,
}

/// The evidence files, what was parsed of them and the anomalies met.
pub(crate) struct Evidence<'a> {
    pub(crate) main: EvidenceReader<'a>,
    pub(crate) wal: Option<EvidenceReader<'a>>,
    pub(crate) journal: Option<EvidenceReader<'a>>,
    pub(crate) page_size: u32,
    /// Pages the main file holds (the last one may be short).
    pub(crate) main_pages: u32,
    /// Pages of the state.
    pub(crate) state_pages: u32,
    pub(crate) wal_info: Option<WalInfo>,
    pub(crate) journal_info: Option<JournalInfo>,
    /// Every frame number of each page, ascending.
    pub(crate) frames_by_page: HashMap<u32, Vec<u32>>,
    /// The first journal record of each page (its page image's offset).
    pub(crate) journal_by_page: HashMap<u32, u64>,
    pub(crate) anomalies: Anomalies,
}

impl Evidence<'_> {
    pub(crate) fn main_page(&self, page: u32) -> Option<Located> {
        (page >= 1 && page <= self.main_pages).then(|| Located {
            file: EvidenceFile::Main,
            offset: u64::from(page - 1) * u64::from(self.page_size),
            frame: None,
        })
    }

    pub(crate) fn frame(&self, number: u32) -> Option<Located> {
        let frame = self.wal_info.as_ref()?.frame(number)?;
        Some(Located {
            file: EvidenceFile::Wal,
            offset: frame.data_offset(),
            frame: Some(number),
        })
    }

    pub(crate) fn locate(&self, view: View, page: u32) -> Option<Located> {
        match view {
            View::State => {
                if page == 0 || page > self.state_pages {
                    return None;
                }
                let applied = self.wal_info.as_ref().and_then(|w| w.applied.get(&page));
                match applied {
                    Some(&number) => self.frame(number),
                    None => self.main_page(page),
                }
            }
            View::Main => self.main_page(page),
            View::WalAt(at) => {
                let frames = self.frames_by_page.get(&page);
                match frames.and_then(|f| f.iter().rev().find(|&&n| n <= at)) {
                    Some(&number) => self.frame(number),
                    None => self.main_page(page),
                }
            }
            View::Journal => match self.journal_by_page.get(&page) {
                Some(&offset) => Some(Located {
                    file: EvidenceFile::Journal,
                    offset,
                    frame: None,
                }),
                None => self.main_page(page),
            },
        }
    }

    pub(crate) fn read(&mut self, at: Located, buf: &mut [u8]) -> Result<(), RecoverError> {
        let reader = match at.file {
            EvidenceFile::Main => Some(&mut self.main),
            EvidenceFile::Wal => self.wal.as_mut(),
            EvidenceFile::Journal => self.journal.as_mut(),
        };
        match reader {
            Some(r) => r.read_at(at.offset, buf).map(|_| ()),
            None => {
                buf.fill(0);
                Ok(())
            }
        }
    }
}

/// A view of the evidence as a [`PageSource`].
pub(crate) struct ViewSource<'e, 'a> {
    pub(crate) ev: &'e mut Evidence<'a>,
    pub(crate) view: View,
}

impl PageSource for ViewSource<'_, '_> {
    fn page(&mut self, number: u32, buf: &mut [u8]) -> Result<bool, RecoverError> {
        match self.ev.locate(self.view, number) {
            Some(at) => self.ev.read(at, buf).map(|()| true),
            None => Ok(false),
        }
    }

    fn anomaly(&mut self, number: u32, kind: AnomalyKind) {
        let at = self.ev.locate(self.view, number).unwrap_or(Located {
            file: EvidenceFile::Main,
            offset: u64::from(number.saturating_sub(1)) * u64::from(self.ev.page_size),
            frame: None,
        });
        self.ev
            .anomalies
            .push(at.file, Some(number), at.offset, kind);
    }
}
