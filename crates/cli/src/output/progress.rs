//! Progress on stderr, drawn only on a terminal: a bar over the bytes of each input while
//! files are read, and the pages and records fetched while the live check runs.

use std::io::Write;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use trailproof_engine::{Progress, READ_AGAIN};
use trailproof_ingest::InputKind;
use trailproof_live::{LiveProgress, NoProgress};

/// Progress bar on stderr, drawn only when enabled (on a terminal).
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    pub fn new(enabled: bool) -> Self {
        Bar {
            bar: enabled.then(|| {
                let b = ProgressBar::hidden();
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                b
            }),
        }
    }

    pub fn clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn input(&self, path: &Path, kind: InputKind, total: Option<u64>) {
        if let Some(b) = &self.bar {
            b.reset();
            match total {
                Some(t) => {
                    b.set_length(t);
                    b.set_style(
                        ProgressStyle::with_template(
                            "{msg} [{bar:30}] {bytes}/{total_bytes} {per_sec} ETA {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                }
                None => b.set_style(ProgressStyle::default_spinner()),
            }
            b.set_message(format!("{} ({})", path.display(), kind.as_str()));
        }
    }

    fn advance(&self, bytes: u64, _records: u64) {
        if let Some(b) = &self.bar {
            b.set_position(bytes);
        }
    }

    fn read_again(&self, path: &Path, kind: InputKind, total: Option<u64>) {
        self.input(path, kind, total);
        if let Some(b) = &self.bar {
            b.set_message(format!(
                "{} ({}), {READ_AGAIN}",
                path.display(),
                kind.as_str()
            ));
        }
    }
}

/// Pages and records on stderr, on one line redrawn in place (terminal only).
struct StderrProgress;

impl LiveProgress for StderrProgress {
    fn page(&self, source: &str, pages: u64, records: u64) {
        let mut e = std::io::stderr().lock();
        let _ = write!(e, "\r{source}: {pages} page(s), {records} record(s)");
        let _ = e.flush();
    }
}

static STDERR_PROGRESS: StderrProgress = StderrProgress;
static NO_PROGRESS: NoProgress = NoProgress;

/// The live check's progress: drawn on stderr when `show`, else none. Whoever shows it ends
/// its line once the check is over.
pub fn live_progress(show: bool) -> &'static dyn LiveProgress {
    if show {
        &STDERR_PROGRESS
    } else {
        &NO_PROGRESS
    }
}
